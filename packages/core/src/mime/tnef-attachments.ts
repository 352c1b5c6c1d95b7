import { nulTerminatedText } from './text-words';

/** One attachment carried in a TNEF (`winmail.dat`) stream. */
export interface TnefAttachment {
  readonly filename: string | null;
  readonly content: Buffer;
}

const TNEF_SIGNATURE = 0x223e9f78;
const ATT_ATTACH_REND_DATA = 0x9002;
const ATT_ATTACH_TITLE = 0x8010;
const ATT_ATTACH_DATA = 0x800f;
const ATT_ATTACHMENT = 0x9005;
const PR_ATTACH_LONG_FILENAME = 0x3707;

const FIXED_SIZES: Readonly<Record<number, number>> = {
  0x0002: 4, 0x0003: 4, 0x0004: 4, 0x000a: 4, 0x000b: 4, 0x0005: 8, 0x0006: 8, 0x0007: 8, 0x0014: 8, 0x0040: 8, 0x0048: 16,
};

/** PR_ATTACH_LONG_FILENAME from an attAttachment MAPI property block, or null. */
function longFilename(data: Buffer): string | null {
  let pos = 0;
  const count = data.readUInt32LE(pos);
  pos += 4;
  for (let i = 0; i < count && pos + 4 <= data.length; i++) {
    const type = data.readUInt16LE(pos);
    const id = data.readUInt16LE(pos + 2);
    pos += 4;
    if (id >= 0x8000) {
      const kind = data.readUInt32LE(pos + 16);
      pos += 20;
      pos += kind === 0 ? 4 : 4 + Math.ceil(data.readUInt32LE(pos) / 4) * 4;
    }
    const base = type & 0x0fff;
    const multi = (type & 0x1000) !== 0;
    const fixed = FIXED_SIZES[base];
    if (fixed !== undefined) {
      const n = multi ? data.readUInt32LE(pos) : 1;
      pos += (multi ? 4 : 0) + n * fixed;
      continue;
    }
    if (base !== 0x001e && base !== 0x001f && base !== 0x0102 && base !== 0x000d) return null;
    const n = data.readUInt32LE(pos);
    pos += 4;
    for (let k = 0; k < n; k++) {
      const len = data.readUInt32LE(pos);
      const value = data.subarray(pos + 4, pos + 4 + len);
      pos += 4 + Math.ceil(len / 4) * 4;
      if (id === PR_ATTACH_LONG_FILENAME && k === 0) {
        return base === 0x001f ? value.toString('utf16le').replace(/\0+$/, '') : nulTerminatedText(value);
      }
    }
  }
  return null;
}

/**
 * Attachments of a TNEF stream: name (long file name when given, else the
 * 8.3 title) and data. At most `maxEntries`; stops at the first malformed
 * attribute. Never throws.
 */
export function readTnefAttachments(buf: Buffer, maxEntries = 1000): TnefAttachment[] {
  const out: { filename: string | null; content: Buffer }[] = [];
  if (buf.length < 6 || buf.readUInt32LE(0) !== TNEF_SIGNATURE) return out;
  let current: { filename: string | null; content: Buffer } | null = null;
  let pos = 6;
  try {
    while (pos + 9 <= buf.length) {
      const level = buf[pos];
      const id = buf.readUInt32LE(pos + 1) & 0xffff;
      const len = buf.readUInt32LE(pos + 5);
      const data = buf.subarray(pos + 9, pos + 9 + len);
      if (data.length < len) break;
      pos += 9 + len + 2;
      if (level !== 2) continue;
      if (id === ATT_ATTACH_REND_DATA) {
        if (out.length >= maxEntries) break;
        current = { filename: null, content: Buffer.alloc(0) };
        out.push(current);
      } else if (current && id === ATT_ATTACH_TITLE) {
        current.filename = current.filename ?? nulTerminatedText(data);
      } else if (current && id === ATT_ATTACH_DATA) {
        current.content = data;
      } else if (current && id === ATT_ATTACHMENT) {
        try {
          const long = longFilename(data);
          if (long) current.filename = long;
        } catch {
          // unreadable property block: keep the title
        }
      }
    }
  } catch {
    // truncated stream: keep what was read
  }
  return out;
}
