import { inflateBounded } from './inflate-bounded';

/** The header of a gzip stream and as much of its content as the limit allows. */
export interface GzipMember {
  /** FNAME from the header (Latin-1), or null. */
  readonly originalName: string | null;
  /** Decompressed bytes (possibly partial for a truncated stream), or null when they could not be had within the limit. */
  readonly content: Buffer | null;
  /** False when the content was cut at the limit or the stream is truncated/corrupt. */
  readonly complete: boolean;
}

/** Parse a gzip stream's header and inflate its first member; null when it is not gzip. Never throws. */
export function readGzipMember(buf: Buffer, maxBytes: number): GzipMember | null {
  if (buf.length < 18 || buf[0] !== 0x1f || buf[1] !== 0x8b || buf[2] !== 8) return null;
  try {
    const flags = buf[3];
    let pos = 10;
    if (flags & 4) pos += 2 + buf.readUInt16LE(pos);
    let originalName: string | null = null;
    if (flags & 8) {
      const end = buf.indexOf(0, pos);
      if (end < 0) return { originalName: null, content: null, complete: false };
      originalName = buf.subarray(pos, end).toString('latin1');
      pos = end + 1;
    }
    if (flags & 16) {
      const end = buf.indexOf(0, pos);
      if (end < 0) return { originalName, content: null, complete: false };
      pos = end + 1;
    }
    if (flags & 2) pos += 2;
    const { content, complete } = inflateBounded(buf.subarray(pos), maxBytes);
    return { originalName, content, complete };
  } catch {
    return null;
  }
}
