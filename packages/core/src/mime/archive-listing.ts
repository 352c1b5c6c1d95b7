import { FLEET_DEFAULTS, type ArchiveLimits } from '@avfleet/config';
import { readGzipMember } from './gzip-member';
import { inflateBounded } from './inflate-bounded';
import { readRarNames } from './rar-names';
import { readTarEntries } from './tar-entries';
import { readTnefAttachments } from './tnef-attachments';
import { extractZipEntry, readZipEntries, zipEntryData } from './zip-entries';

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = FLEET_DEFAULTS.archive;

export type ArchiveFormat = 'zip' | 'tar' | 'gzip' | 'rar' | 'tnef';

/** Which bound of ArchiveLimits stopped a listing (the `limit` label of avfleet_archive_limit_hits_total). */
export type ArchiveLimitName = 'depth' | 'members' | 'bytes' | 'ratio';
export const ARCHIVE_LIMIT_NAMES: readonly ArchiveLimitName[] = ['depth', 'members', 'bytes', 'ratio'];

export interface ArchiveListing {
  readonly format: ArchiveFormat;
  /** Member paths; members of nested archives as `a.zip > b.txt`. */
  readonly members: readonly string[];
  /** Some member is encrypted (its name is listed, its content was not looked into). */
  readonly encrypted: boolean;
  /** A limit (or a corrupt archive) stopped the listing before the end. */
  readonly truncated: boolean;
  /** The first limit that was reached, or null (none, or only corruption cut the listing short). */
  readonly limit: ArchiveLimitName | null;
}

interface ListState {
  readonly limits: ArchiveLimits;
  readonly members: string[];
  bytesLeft: number;
  encrypted: boolean;
  truncated: boolean;
  limit: ArchiveLimitName | null;
}

function hit(state: ListState, limit: ArchiveLimitName): void {
  state.truncated = true;
  state.limit ??= limit;
}

/** Decompression budget for `compressedSize` bytes: the ratio bound, capped by the bytes left; names the bound that applies. */
function budgetFor(state: ListState, compressedSize: number): { bytes: number; bound: ArchiveLimitName } {
  const byRatio = Math.max(1 << 16, compressedSize * state.limits.maxRatio);
  return state.bytesLeft < byRatio ? { bytes: state.bytesLeft, bound: 'bytes' } : { bytes: byRatio, bound: 'ratio' };
}

const ZIP_MAGIC = [Buffer.from('PK\x03\x04', 'latin1'), Buffer.from('PK\x05\x06', 'latin1')];

function formatOf(buf: Buffer): ArchiveFormat | null {
  if (ZIP_MAGIC.some((m) => buf.subarray(0, 4).equals(m))) return 'zip';
  if (buf.length >= 3 && buf[0] === 0x1f && buf[1] === 0x8b && buf[2] === 8) return 'gzip';
  if (buf.subarray(0, 6).toString('latin1') === 'Rar!\x1a\x07') return 'rar';
  if (buf.length >= 4 && buf.readUInt32LE(0) === 0x223e9f78) return 'tnef';
  if (readTarEntries(buf.subarray(0, 1024), 1).length > 0 || buf.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  return null;
}

function add(state: ListState, name: string): boolean {
  if (state.members.length >= state.limits.maxMembers) {
    hit(state, 'members');
    return false;
  }
  state.members.push(name);
  return true;
}

/** Cheap look at the first bytes of a deflated member: is it worth decompressing whole? */
function deflatedLooksLikeArchive(data: Buffer): boolean {
  try {
    // Bounded: 2 KiB of a highly compressed stream can inflate to 2 MiB (a bomb's head); the start is enough.
    const head = inflateBounded(data.subarray(0, 2048), 1 << 16).content;
    return head !== null && formatOf(head) !== null;
  } catch {
    return false;
  }
}

function nested(state: ListState, content: Buffer, depth: number, prefix: string, name: string): void {
  if (formatOf(content) === null) return;
  if (depth >= state.limits.maxDepth) {
    hit(state, 'depth');
    return;
  }
  listInto(state, content, depth + 1, `${prefix}${name} > `, name);
}

function listZip(state: ListState, buf: Buffer, depth: number, prefix: string): void {
  for (const entry of readZipEntries(buf, state.limits.maxMembers + 1)) {
    if (entry.isDirectory) continue;
    if (!add(state, prefix + entry.name)) return;
    if (entry.encrypted) {
      state.encrypted = true;
      continue;
    }
    if (entry.method !== 0 && entry.method !== 8) continue;
    // Only members that are archives themselves are worth unpacking (for their member names).
    const data = zipEntryData(buf, entry);
    if (entry.method === 8 && !deflatedLooksLikeArchive(data)) continue;
    if (entry.method === 0 && formatOf(data.subarray(0, 1024)) === null) continue;
    const budget = budgetFor(state, entry.compressedSize);
    if (budget.bytes <= 0) {
      hit(state, 'bytes');
      continue;
    }
    const extracted = extractZipEntry(buf, entry, budget.bytes);
    if (extracted.cut) hit(state, budget.bound);
    const content = extracted.content;
    if (!content) continue;
    if (entry.method === 8) state.bytesLeft -= content.length;
    nested(state, content, depth, prefix, entry.name);
  }
}

function listInto(state: ListState, buf: Buffer, depth: number, prefix: string, containerName: string | null): void {
  switch (formatOf(buf)) {
    case 'zip':
      return buf.length >= 30 ? listZipSafe(state, buf, depth, prefix) : undefined;
    case 'tar':
      for (const entry of readTarEntries(buf, state.limits.maxMembers + 1)) {
        if (!add(state, prefix + entry.name)) return;
        nested(state, buf.subarray(entry.dataOffset, entry.dataOffset + entry.size), depth, prefix, entry.name);
      }
      return;
    case 'gzip': {
      const budget = budgetFor(state, buf.length);
      if (budget.bytes <= 0) return hit(state, 'bytes');
      const member = readGzipMember(buf, budget.bytes);
      if (!member) return;
      if (member.content) state.bytesLeft -= member.content.length;
      if (!member.complete) {
        if (member.content) hit(state, budget.bound);
        else state.truncated = true;
      }
      const content = member.content ?? Buffer.alloc(0);
      if (formatOf(content) === 'tar') return listInto(state, content, depth, prefix, null);
      const inner = member.originalName ?? gunzippedName(containerName);
      if (inner === null) return nested(state, content, depth, prefix, '(gzip stream)');
      if (!add(state, prefix + inner)) return;
      return nested(state, content, depth, prefix, inner);
    }
    case 'rar':
      for (const entry of readRarNames(buf, state.limits.maxMembers + 1)) {
        if (entry.encrypted) state.encrypted = true;
        if (!add(state, prefix + entry.name)) return;
      }
      return;
    case 'tnef':
      for (const att of readTnefAttachments(buf, state.limits.maxMembers + 1)) {
        const name = att.filename ?? '(unnamed)';
        if (!add(state, prefix + name)) return;
        nested(state, att.content, depth, prefix, name);
      }
      return;
    default:
      return;
  }
}

function listZipSafe(state: ListState, buf: Buffer, depth: number, prefix: string): void {
  try {
    listZip(state, buf, depth, prefix);
  } catch {
    state.truncated = true;
  }
}

/** `x.tar.gz`/`x.tgz` → `x.tar`, `x.gz` → `x`; null when there is no such name. */
function gunzippedName(name: string | null): string | null {
  if (!name) return null;
  const base = name.replace(/^.*[/\\]/, '');
  if (/\.tgz$/i.test(base)) return base.replace(/\.tgz$/i, '.tar');
  if (/\.gz$/i.test(base)) return base.replace(/\.gz$/i, '') || null;
  return null;
}

/**
 * Member names of a zip (incl. OOXML/ODF/jar), tar, gzip (the original file
 * name, or the members of a .tar.gz), RAR (v4/v5 names) or TNEF stream, with
 * members of nested archives as `outer > inner`. `name` is the archive's own
 * file name (used for a gzip stream without a stored name). Returns null when
 * the content is no archive of those kinds. Bounded by `limits`; never throws.
 */
export function listArchiveMembers(
  content: Buffer,
  options: { readonly name?: string | null; readonly limits?: Partial<ArchiveLimits> } = {},
): ArchiveListing | null {
  let format: ArchiveFormat | null;
  try {
    format = formatOf(content);
  } catch {
    return null;
  }
  if (format === null) return null;
  const limits = { ...DEFAULT_ARCHIVE_LIMITS, ...options.limits };
  const state: ListState = { limits, members: [], bytesLeft: limits.maxBytes, encrypted: false, truncated: false, limit: null };
  try {
    listInto(state, content, 1, '', options.name ?? null);
  } catch {
    state.truncated = true;
  }
  return { format, members: state.members, encrypted: state.encrypted, truncated: state.truncated, limit: state.limit };
}
