import { inflateBounded } from './inflate-bounded';
import { utf8OrLatin1 } from './text-words';

/** One entry of a zip file's central directory (or of its local headers when the directory is missing). */
export interface ZipEntry {
  readonly name: string;
  readonly encrypted: boolean;
  /** 0 stored, 8 deflate, others unsupported for extraction. */
  readonly method: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
  readonly isDirectory: boolean;
}

const SIG_EOCD = 0x06054b50;
const SIG_CDH = 0x02014b50;
const SIG_LFH = 0x04034b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;

/** Names are UTF-8 when flagged (or valid UTF-8 anyway), otherwise bytes taken as Latin-1. */
function decodeName(bytes: Buffer, utf8Flag: boolean): string {
  return utf8Flag ? bytes.toString('utf8') : utf8OrLatin1(bytes);
}

function findEocd(buf: Buffer): number {
  const stop = Math.max(0, buf.length - 22 - 0xffff);
  for (let i = buf.length - 22; i >= stop; i--) {
    if (buf.readUInt32LE(i) === SIG_EOCD) return i;
  }
  return -1;
}

/** Zip64: the real directory offset and count sit in the zip64 end record. */
function zip64Directory(buf: Buffer, eocd: number): { offset: number; count: number } | null {
  const loc = eocd - 20;
  if (loc < 0 || buf.readUInt32LE(loc) !== SIG_ZIP64_LOCATOR) return null;
  const recOffset = Number(buf.readBigUInt64LE(loc + 8));
  if (recOffset + 56 > buf.length || buf.readUInt32LE(recOffset) !== SIG_ZIP64_EOCD) return null;
  return { count: Number(buf.readBigUInt64LE(recOffset + 32)), offset: Number(buf.readBigUInt64LE(recOffset + 48)) };
}

function readCentralDirectory(buf: Buffer, maxEntries: number): ZipEntry[] | null {
  const eocd = findEocd(buf);
  if (eocd < 0) return null;
  let count = buf.readUInt16LE(eocd + 10);
  const cdSize = buf.readUInt32LE(eocd + 12);
  let offset = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || offset === 0xffffffff) {
    const z64 = zip64Directory(buf, eocd);
    if (z64) ({ offset, count } = z64);
  }
  // Self-extracting archives and prepended junk shift every offset: trust the directory's position.
  const shift = offset + cdSize <= eocd && buf.readUInt32LE(offset) === SIG_CDH ? 0 : eocd - cdSize - offset;
  let pos = offset + shift;
  if (pos < 0 || pos + 46 > buf.length || buf.readUInt32LE(pos) !== SIG_CDH) return count === 0 ? [] : null;
  const entries: ZipEntry[] = [];
  while (entries.length < maxEntries && pos + 46 <= buf.length && buf.readUInt32LE(pos) === SIG_CDH) {
    const flags = buf.readUInt16LE(pos + 8);
    const nameLen = buf.readUInt16LE(pos + 28);
    const extraLen = buf.readUInt16LE(pos + 30);
    const commentLen = buf.readUInt16LE(pos + 32);
    if (pos + 46 + nameLen > buf.length) break;
    const name = decodeName(buf.subarray(pos + 46, pos + 46 + nameLen), (flags & 0x800) !== 0);
    entries.push({
      name,
      encrypted: (flags & 1) !== 0,
      method: buf.readUInt16LE(pos + 10),
      compressedSize: buf.readUInt32LE(pos + 20),
      uncompressedSize: buf.readUInt32LE(pos + 24),
      localHeaderOffset: buf.readUInt32LE(pos + 42) + shift,
      isDirectory: name.endsWith('/'),
    });
    pos += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** Fallback for truncated zips: walk the local file headers from the start. */
function readLocalHeaders(buf: Buffer, maxEntries: number): ZipEntry[] {
  const entries: ZipEntry[] = [];
  let pos = 0;
  while (entries.length < maxEntries && pos + 30 <= buf.length && buf.readUInt32LE(pos) === SIG_LFH) {
    const flags = buf.readUInt16LE(pos + 6);
    const compressedSize = buf.readUInt32LE(pos + 18);
    const nameLen = buf.readUInt16LE(pos + 26);
    const extraLen = buf.readUInt16LE(pos + 28);
    if (pos + 30 + nameLen > buf.length) break;
    const name = decodeName(buf.subarray(pos + 30, pos + 30 + nameLen), (flags & 0x800) !== 0);
    entries.push({
      name,
      encrypted: (flags & 1) !== 0,
      method: buf.readUInt16LE(pos + 8),
      compressedSize,
      uncompressedSize: buf.readUInt32LE(pos + 22),
      localHeaderOffset: pos,
      isDirectory: name.endsWith('/'),
    });
    // With a data descriptor the size is unknown here: stop rather than guess.
    if ((flags & 8) !== 0 && compressedSize === 0) break;
    pos += 30 + nameLen + extraLen + compressedSize;
  }
  return entries;
}

/** Entries of a zip file, at most `maxEntries`; empty for anything that is not a readable zip. Never throws. */
export function readZipEntries(buf: Buffer, maxEntries = 1000): ZipEntry[] {
  try {
    return readCentralDirectory(buf, maxEntries) ?? readLocalHeaders(buf, maxEntries);
  } catch {
    return [];
  }
}

/** What extractZipEntry could get out of one entry. */
export interface ZipExtraction {
  /** The content (possibly cut at about `maxBytes`), or null. */
  readonly content: Buffer | null;
  /** True when `maxBytes` stopped the extraction (content cut, or a stored entry larger than the bound). */
  readonly cut: boolean;
}

/**
 * The entry's stored (compressed) bytes, located through its local header.
 * Does not check the local header's signature; may throw on a header past the end.
 */
export function zipEntryData(buf: Buffer, entry: ZipEntry): Buffer {
  const lfh = entry.localHeaderOffset;
  const start = lfh + 30 + buf.readUInt16LE(lfh + 26) + buf.readUInt16LE(lfh + 28);
  return buf.subarray(start, start + entry.compressedSize);
}

/**
 * Decompressed content of one entry within `maxBytes`: null content when it
 * cannot be had (encrypted, unsupported method, corrupt, or a stored entry
 * larger than `maxBytes`); deflated content larger than `maxBytes` comes back
 * cut at (about) that length. `cut` tells whether the bound was the reason.
 */
export function extractZipEntry(buf: Buffer, entry: ZipEntry, maxBytes: number): ZipExtraction {
  const none = { content: null, cut: false };
  if (entry.encrypted || entry.isDirectory) return none;
  try {
    const lfh = entry.localHeaderOffset;
    if (lfh < 0 || lfh + 30 > buf.length || buf.readUInt32LE(lfh) !== SIG_LFH) return none;
    const data = zipEntryData(buf, entry);
    if (entry.method === 0) return data.length <= maxBytes ? { content: data, cut: false } : { content: null, cut: true };
    if (entry.method !== 8) return none;
    const { content, complete } = inflateBounded(data, maxBytes);
    return { content, cut: content !== null && !complete };
  } catch {
    return none;
  }
}
