/**
 * Bounds on what a client controls in the data that crosses processes and
 * stays in Redis (job data, results): a client names its parts, so a name is
 * cut, never carried whole (README "Limits"). Part selection and file-name
 * filters run on the full names before any of this (mime/select-parts.ts);
 * only what is carried and shown is cut.
 */

/** Bytes of a file name, content type or detected type carried in jobs and results (NAME_MAX of common file systems). */
export const MAX_NAME_BYTES = 255;

/** Bytes of a result's `message` (the forced action's text). */
export const MAX_MESSAGE_BYTES = 1024;

/** Parts listed in a result; the rest are counted in `parts_omitted` (docs/interfaces.md §3). */
export const MAX_RESULT_PARTS = 100;

/** Bytes of the end of a cut name that are kept after the marker, so the extension stays visible. */
const TAIL_BYTES = 32;

/** `…[N bytes cut]…`: what replaces the middle of a cut text. */
function marker(cutBytes: number): string {
  return `…[${cutBytes} bytes cut]…`;
}

/** Index of the first byte of the UTF-8 sequence that holds byte `i` (never splits a character). */
function charStart(buf: Buffer, i: number): number {
  let j = i;
  while (j > 0 && j < buf.length && (buf[j] & 0xc0) === 0x80) j -= 1;
  return j;
}

/**
 * `text` itself when it fits in `maxBytes` UTF-8 bytes; else its head and the
 * last bytes joined by a marker saying how many bytes were cut, at most
 * `maxBytes` long in all. Characters are never split.
 */
export function boundText(text: string, maxBytes: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return text;
  // The marker's own length depends on the count it shows; the count only shrinks as the marker grows, so one pass with the widest count suffices.
  const room = Math.max(0, maxBytes - Buffer.byteLength(marker(buf.length)));
  const tailBytes = Math.min(TAIL_BYTES, Math.floor(room / 4));
  const tailStart = charStart(buf, buf.length - tailBytes);
  const headEnd = charStart(buf, room - (buf.length - tailStart));
  const cut = tailStart - headEnd;
  return buf.subarray(0, headEnd).toString('utf8') + marker(cut) + buf.subarray(tailStart).toString('utf8');
}

/** A file name, content type or detected type as jobs and results carry it: null stays null. */
export function boundName(name: string | null): string | null {
  return name === null ? null : boundText(name, MAX_NAME_BYTES);
}
