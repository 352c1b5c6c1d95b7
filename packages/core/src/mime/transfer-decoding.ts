import { decodeUuencodedBody } from './uudecode';

const UU_ENCODINGS = new Set(['x-uuencode', 'uuencode', 'x-uue', 'uue']);

/** True for the uuencode family of Content-Transfer-Encoding values. */
export function isUuEncoding(encoding: string | null): boolean {
  return encoding !== null && UU_ENCODINGS.has(encoding);
}

const B64_SKIP = 64;
const B64_PAD = 65;
/** Byte → 6-bit value; B64_PAD for `=`, B64_SKIP for everything outside the alphabet. */
const B64_VALUE: Uint8Array = (() => {
  const table = new Uint8Array(256).fill(B64_SKIP);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  table[0x3d] = B64_PAD;
  return table;
})();
/**
 * Two bytes → their 12 bits when both are alphabet characters, else 0xffff: the fast path
 * decodes a group of four with two lookups (a 128 KiB table; ≈ 35 % less time than four).
 */
const B64_PAIR: Uint16Array = (() => {
  const pairs = new Uint16Array(65536).fill(0xffff);
  for (let a = 0; a < 256; a++) {
    const va = B64_VALUE[a]!;
    if (va >= 64) continue;
    for (let b = 0; b < 256; b++) {
      const vb = B64_VALUE[b]!;
      if (vb < 64) pairs[(a << 8) | b] = (va << 6) | vb;
    }
  }
  return pairs;
})();

/**
 * Lenient base64: ignores anything outside the alphabet and decodes padded runs
 * one after another (a `=` ends a group: 2 pending characters give one byte, 3
 * give two, 1 gives none). Takes the body as the chunks the splitter produced,
 * so the encoded text is never joined or turned into a string (one pass, no copy).
 */
export function decodeBase64(raw: Buffer | readonly Buffer[]): Buffer {
  const chunks = Buffer.isBuffer(raw) ? [raw] : raw;
  let total = 0;
  for (const c of chunks) total += c.length;
  return decodeBase64Into(chunks, Buffer.allocUnsafe(((total + 3) >>> 2) * 3), false);
}

/**
 * decodeBase64 of one buffer written over the buffer itself: the same bytes, no second
 * buffer (the worker's range read, D59, which nothing else holds; D65). Safe because
 * every step writes at most 3 bytes for 4 it has read, behind the position it reads next;
 * the native pieces are decoded into a scratch buffer and copied only when whole, since a
 * piece Node stops short in is read again by the loop. The encoded text is lost; the
 * result is a view of `buf`'s first bytes.
 */
export function decodeBase64InPlace(buf: Buffer): Buffer {
  return decodeBase64Into([buf], buf, true);
}

/** decodeBase64 into `out`, which has room for what `chunks` decode to (or is their one buffer: `inPlace`); returns the view of what was written. */
function decodeBase64Into(chunks: readonly Buffer[], out: Buffer, inPlace: boolean): Buffer {
  const T = B64_VALUE;
  const at: Cursor = { i: 0, o: 0 };
  // Plain locals (no closure over them): V8 keeps them in registers in the hot loop.
  let o = 0;
  let acc = 0;
  let n = 0;
  let first = chunks.length === 1;
  for (const chunk of chunks) {
    const len = chunk.length;
    let i = 0;
    if (first) {
      // A body of one piece: its regular lines by Node's decoder, the rest (the last line, padding, anything irregular) below.
      decodeRegularLines(chunk, out, at, inPlace);
      i = at.i;
      o = at.o;
      first = false;
    }
    while (i < len) {
      if (n === 0) {
        at.i = i;
        at.o = o;
        decodeWholeGroups(chunk, out, at);
        i = at.i;
        o = at.o;
        if (i >= len) break;
      }
      const v = T[chunk[i++]!]!;
      if (v < 64) {
        acc = (acc << 6) | v;
        if (++n === 4) {
          out[o] = (acc >>> 16) & 0xff;
          out[o + 1] = (acc >>> 8) & 0xff;
          out[o + 2] = acc & 0xff;
          o += 3;
          n = 0;
          acc = 0;
        }
      } else if (v === B64_PAD) {
        o = flushPartialGroup(out, o, acc, n);
        n = 0;
        acc = 0;
      }
    }
  }
  return out.subarray(0, flushPartialGroup(out, o, acc, n));
}

/** Below this many bytes the JavaScript loop is as fast as a call into Node. */
const NATIVE_MIN_BYTES = 1024;
/**
 * Above this many bytes the loop decodes the whole body: the pieces handed to Node are strings,
 * and tens of megabytes of them grow V8's young generation (one 68 MB message: the producer's
 * peak RSS 15–45 MB higher than with the loop, `npm run bench -- --phases memory`).
 */
const NATIVE_MAX_BYTES = 8 * 1024 * 1024;
/** Bytes per string handed to Node's decoder: a young-generation string (V8's regular objects end at 128 KiB). */
const NATIVE_PIECE_BYTES = 96 * 1024;

/**
 * The fast path of a body of one piece: its leading run of regular lines (every line `L`
 * alphabet characters, `L` a multiple of 4, then CRLF or LF, as the first line) decoded by
 * Node's native base64 decoder, ≈ 96 KiB at a time, into `out`; moves the cursor past them
 * (it stays at 0 when the body does not start so). What it decodes is exactly what the loop
 * of decodeBase64 would: the line ends are checked here, and a line holding anything but
 * alphabet characters (a `=`, garbage) makes Node write fewer than 3·L/4 bytes per line,
 * which stops the fast path at the start of that piece. Every piece ends after whole groups
 * of four, so the loop resumes with nothing pending.
 */
function decodeRegularLines(chunk: Buffer, out: Buffer, at: Cursor, inPlace: boolean): void {
  at.i = 0;
  at.o = 0;
  const len = chunk.length;
  if (len < NATIVE_MIN_BYTES || len > NATIVE_MAX_BYTES) return;
  const lf = chunk.indexOf(0x0a);
  if (lf <= 0) return;
  const crlf = chunk[lf - 1] === 0x0d;
  const lineChars = crlf ? lf - 1 : lf;
  if (lineChars === 0 || lineChars % 4 !== 0) return;
  const stride = lf + 1;
  const piece = Math.max(1, Math.floor(NATIVE_PIECE_BYTES / stride));
  let i = 0;
  let o = 0;
  for (;;) {
    let lines = 0;
    let end = i + stride;
    while (lines < piece && end <= len && chunk[end - 1] === 0x0a && (!crlf || chunk[end - 2] === 0x0d)) {
      lines++;
      end += stride;
    }
    if (lines === 0) break;
    end = i + lines * stride;
    const want = (lines * lineChars * 3) / 4;
    if (inPlace) {
      // In place: a piece Node stops short in has written over its own input, which the loop must
      // read again, so it is decoded aside and copied once it is known to be whole.
      const aside = pieceScratch();
      if (aside.write(chunk.toString('latin1', i, end), 0, want, 'base64') !== want) break;
      aside.copy(out, o, 0, want);
    } else if (out.write(chunk.toString('latin1', i, end), o, want, 'base64') !== want) break;
    i = end;
    o += want;
  }
  at.i = i;
  at.o = o;
}

let scratch: Buffer | null = null;

/** Room for one native piece's decoded bytes (decodeBase64InPlace), made once per process. */
function pieceScratch(): Buffer {
  scratch ??= Buffer.allocUnsafeSlow((NATIVE_PIECE_BYTES * 3) / 4);
  return scratch;
}

/** Input and output positions of {@link decodeWholeGroups}. */
interface Cursor {
  i: number;
  o: number;
}

/**
 * The fast path: decodes groups of four alphabet characters from `chunk[i]` into `out[o]`,
 * two characters per lookup, up to the first group that is not four alphabet characters
 * (or the chunk's end); moves the cursor past what it decoded.
 */
function decodeWholeGroups(chunk: Buffer, out: Buffer, at: Cursor): void {
  const P = B64_PAIR;
  let i = at.i;
  let o = at.o;
  const T = B64_VALUE;
  const end = chunk.length - 4;
  while (i <= end) {
    const hi = P[(chunk[i]! << 8) | chunk[i + 1]!]!;
    const lo = P[(chunk[i + 2]! << 8) | chunk[i + 3]!]!;
    if ((hi | lo) > 0xfff) {
      // Between groups, a character outside the alphabet (the line break) is skipped as the slow path would.
      if (T[chunk[i]!] === B64_SKIP) {
        i++;
        continue;
      }
      break;
    }
    const v = (hi << 12) | lo;
    out[o] = v >>> 16;
    out[o + 1] = (v >>> 8) & 0xff;
    out[o + 2] = v & 0xff;
    o += 3;
    i += 4;
  }
  at.i = i;
  at.o = o;
}

/** Writes what a group cut short by `=` (or the end) holds: 2 characters give one byte, 3 give two, 1 gives none. Returns the new length. */
function flushPartialGroup(out: Buffer, o: number, acc: number, n: number): number {
  if (n === 2) out[o++] = (acc >>> 4) & 0xff;
  else if (n === 3) {
    out[o++] = (acc >>> 10) & 0xff;
    out[o++] = (acc >>> 2) & 0xff;
  }
  return o;
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

function joined(chunks: readonly Buffer[]): Buffer {
  if (chunks.length === 1) return chunks[0]!;
  return Buffer.concat(chunks);
}

/**
 * Remove a Content-Transfer-Encoding. base64, quoted-printable and the
 * uuencode family are decoded; 7bit, 8bit, binary and unknown values give the
 * bytes as they are. For uuencode the `begin` line's file name is returned.
 * `raw` may be the body as the splitter's chunks (base64 decodes them without joining).
 */
export function decodeTransferEncoding(raw: Buffer | readonly Buffer[], encoding: string | null): { content: Buffer; uuFilename: string | null } {
  const chunks = Buffer.isBuffer(raw) ? [raw] : raw;
  switch (encoding) {
    case 'base64':
      return { content: decodeBase64(chunks), uuFilename: null };
    case 'quoted-printable':
      return { content: decodeQuotedPrintable(joined(chunks)), uuFilename: null };
    default:
      if (isUuEncoding(encoding)) {
        const block = decodeUuencodedBody(joined(chunks));
        return { content: block.content, uuFilename: block.filename };
      }
      return { content: joined(chunks), uuFilename: null };
  }
}
