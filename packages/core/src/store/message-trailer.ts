import { Transform, type Readable, type TransformCallback } from 'node:stream';

/**
 * The request record stored with a raw message (D69): the bytes a rescan needs besides the
 * message (the intake encodes and reads them: contracts/stored-request.ts), appended to
 * the message in the same object, so storing a message stays one write (D59).
 *
 *   <the message, byte for byte> <record> "\navfleet-request/1 <id> <record bytes, 8 digits>\n"
 *
 * The message keeps its offsets (a part job's range reads the same bytes as before), and
 * every reader of a message key — `get`, `getStream` — gets the message alone. The footer
 * names the message's id (`<id>` of `messages/…/<id>.eml`): a scan id holds 80 random
 * bits, so a message cannot carry a footer that a reader would take for its own; an object
 * without the footer its key expects (stored before D69, or without a record) is the
 * message whole.
 */

/** A record longer than this is not stored (the message is, alone): bounds what a reader holds back. */
export const MAX_RECORD_BYTES = 256 * 1024;

const FOOTER_TAG = 'avfleet-request/1';
const LENGTH_DIGITS = 8;

function footerPrefix(id: string): Buffer {
  return Buffer.from(`\n${FOOTER_TAG} ${id} `, 'latin1');
}

/** Footer bytes for a message id: its prefix, the record length and a newline. */
function footerLength(id: string): number {
  return footerPrefix(id).length + LENGTH_DIGITS + 1;
}

/** The bytes appended to message `id` to store `record` with it. Throws RangeError past MAX_RECORD_BYTES. */
export function messageTrailer(id: string, record: Buffer): Buffer {
  if (record.length > MAX_RECORD_BYTES) throw new RangeError(`request record of ${record.length} bytes is over ${MAX_RECORD_BYTES}`);
  const footer = Buffer.from(`${String(record.length).padStart(LENGTH_DIGITS, '0')}\n`, 'latin1');
  return Buffer.concat([record, footerPrefix(id), footer]);
}

/** A stored message object split: the message, and its record or null (none stored with it). */
export interface SplitStoredMessage {
  readonly message: Buffer;
  readonly record: Buffer | null;
}

/** Where the message ends in an object of `size` bytes whose last bytes are `tail`, and the record's bounds; null: no record. */
function locate(id: string, tail: Buffer, size: number): { readonly messageBytes: number; readonly recordBytes: number } | null {
  const prefix = footerPrefix(id);
  const flen = footerLength(id);
  if (tail.length < flen || size < flen) return null;
  const footer = tail.subarray(tail.length - flen);
  if (!footer.subarray(0, prefix.length).equals(prefix) || footer[flen - 1] !== 0x0a) return null;
  const digits = footer.subarray(prefix.length, prefix.length + LENGTH_DIGITS).toString('latin1');
  if (!/^\d{8}$/.test(digits)) return null;
  const recordBytes = Number(digits);
  if (recordBytes > MAX_RECORD_BYTES || recordBytes + flen > size) return null;
  return { messageBytes: size - flen - recordBytes, recordBytes };
}

/** The message and its record out of a whole stored object (no copy: views of `stored`). */
export function splitStoredMessage(id: string, stored: Buffer): SplitStoredMessage {
  const at = locate(id, stored, stored.length);
  if (!at) return { message: stored, record: null };
  return { message: stored.subarray(0, at.messageBytes), record: stored.subarray(at.messageBytes, at.messageBytes + at.recordBytes) };
}

/** Bytes at the end of a stored message a stream holds back until it knows where the message ends. */
export function heldBackBytes(id: string): number {
  return MAX_RECORD_BYTES + footerLength(id);
}

/**
 * The message alone out of a stored object's byte stream: the last `heldBackBytes` are held
 * back (whole chunks, no copy of the rest) until the stream ends, then the footer says how
 * many of them are the message's. Errors of `source` pass on.
 */
export function messageOnlyStream(id: string, source: Readable): Readable {
  const hold = heldBackBytes(id);
  const held: Buffer[] = [];
  let heldBytes = 0;
  let passed = 0;
  const out = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
      held.push(chunk);
      heldBytes += chunk.length;
      // Pass on whole chunks while what stays behind still covers the largest trailer.
      while (held.length > 0 && heldBytes - held[0]!.length >= hold) {
        const first = held.shift()!;
        heldBytes -= first.length;
        passed += first.length;
        this.push(first);
      }
      done();
    },
    flush(done: TransformCallback): void {
      const tail = held.length === 1 ? held[0]! : Buffer.concat(held, heldBytes);
      const at = locate(id, tail, passed + heldBytes);
      // The footer was found in the held-back bytes, so the message ends within them.
      const keep = at ? at.messageBytes - passed : tail.length;
      if (keep > 0) this.push(tail.subarray(0, keep));
      done();
    },
  });
  source.on('error', (err) => out.destroy(err));
  out.on('close', () => {
    if (!source.destroyed) source.destroy();
  });
  return source.pipe(out);
}
