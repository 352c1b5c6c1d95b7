import { decodeUuencodedBody } from './uudecode';

const UU_ENCODINGS = new Set(['x-uuencode', 'uuencode', 'x-uue', 'uue']);

/** True for the uuencode family of Content-Transfer-Encoding values. */
export function isUuEncoding(encoding: string | null): boolean {
  return encoding !== null && UU_ENCODINGS.has(encoding);
}

/** Lenient base64: ignores anything outside the alphabet and decodes padded runs one after another. */
export function decodeBase64(raw: Buffer): Buffer {
  const text = raw.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, '');
  const chunks = text.split(/(?<==)(?=[^=])/);
  return Buffer.concat(chunks.map((c) => Buffer.from(c, 'base64')));
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}

/** Quoted-printable: `=XX`, soft line breaks, trailing blanks dropped; a stray `=` is kept. */
export function decodeQuotedPrintable(raw: Buffer): Buffer {
  const out = Buffer.alloc(raw.length);
  let o = 0;
  let lineStart = 0;
  while (lineStart < raw.length) {
    let lineEnd = raw.indexOf(0x0a, lineStart);
    const hasBreak = lineEnd >= 0;
    if (!hasBreak) lineEnd = raw.length;
    let end = lineEnd;
    if (end > lineStart && raw[end - 1] === 0x0d) end--;
    while (end > lineStart && (raw[end - 1] === 0x20 || raw[end - 1] === 0x09)) end--;
    let soft = false;
    for (let i = lineStart; i < end; i++) {
      const b = raw[i];
      if (b === 0x3d) {
        if (i === end - 1) {
          soft = true;
          break;
        }
        const hi = hexValue(raw[i + 1]);
        const lo = i + 2 < end ? hexValue(raw[i + 2]) : -1;
        if (hi >= 0 && lo >= 0) {
          out[o++] = hi * 16 + lo;
          i += 2;
          continue;
        }
      }
      out[o++] = b;
    }
    if (hasBreak && !soft) {
      if (raw[lineEnd - 1] === 0x0d) out[o++] = 0x0d;
      out[o++] = 0x0a;
    }
    lineStart = lineEnd + 1;
  }
  return out.subarray(0, o);
}

/**
 * Remove a Content-Transfer-Encoding. base64, quoted-printable and the
 * uuencode family are decoded; 7bit, 8bit, binary and unknown values give the
 * bytes as they are. For uuencode the `begin` line's file name is returned.
 */
export function decodeTransferEncoding(raw: Buffer, encoding: string | null): { content: Buffer; uuFilename: string | null } {
  switch (encoding) {
    case 'base64':
      return { content: decodeBase64(raw), uuFilename: null };
    case 'quoted-printable':
      return { content: decodeQuotedPrintable(raw), uuFilename: null };
    default:
      if (isUuEncoding(encoding)) {
        const block = decodeUuencodedBody(raw);
        return { content: block.content, uuFilename: block.filename };
      }
      return { content: raw, uuFilename: null };
  }
}
