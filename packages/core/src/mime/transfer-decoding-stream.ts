import { Transform, type TransformCallback } from 'node:stream';
import { decodeBase64, decodeQuotedPrintable, isUuEncoding } from './transfer-decoding';

/** What base64 decoding reads: the alphabet and `=`; decodeBase64 skips every other byte. */
const NOT_BASE64 = /[^A-Za-z0-9+/=]/g;

/** True when a body with this Content-Transfer-Encoding can be decoded piece by piece (decodingStream); uuencode cannot. */
export function decodesAsStream(encoding: string | null): boolean {
  return !isUuEncoding(encoding);
}

/**
 * Removes a Content-Transfer-Encoding piece by piece and gives the same bytes as
 * decodeTransferEncoding over the whole body. It is no second decoder: it cuts the input where
 * the decoder holds no state and hands each piece to the same function. base64: after the last
 * `=`, or a multiple of four alphabet characters after it (decodeBase64 skips every byte outside
 * the alphabet and a `=` ends a group, so nothing carries over such a cut); quoted-printable:
 * after a line end (each line decodes on its own); other encodings pass through. Throws a
 * RangeError for uuencode (`begin` and `end` lines frame the whole body: decodesAsStream).
 */
export function decodingStream(encoding: string | null): Transform {
  if (isUuEncoding(encoding)) throw new RangeError(`a ${encoding} body cannot be decoded as a stream`);
  if (encoding === 'base64') return base64Stream();
  if (encoding === 'quoted-printable') return quotedPrintableStream();
  return new Transform({ transform: (chunk: Buffer, _enc, done) => done(null, chunk) });
}

function base64Stream(): Transform {
  /** Alphabet characters and `=` after the last cut (fewer than four after the last `=`). */
  let carry = '';
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      const text = carry + chunk.toString('latin1').replace(NOT_BASE64, '');
      const afterPad = text.lastIndexOf('=') + 1;
      const cut = afterPad + ((text.length - afterPad) & ~3);
      carry = text.slice(cut);
      if (cut > 0) this.push(decodeBase64(Buffer.from(text.slice(0, cut), 'latin1')));
      done();
    },
    flush(done: TransformCallback) {
      // What is left ends the body: the decoder's own end (a partial group gives its bytes).
      if (carry.length > 0) this.push(decodeBase64(Buffer.from(carry, 'latin1')));
      done();
    },
  });
}

function quotedPrintableStream(): Transform {
  /** The bytes after the last line end seen. */
  let carry: Buffer = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      const lineEnd = data.lastIndexOf(0x0a);
      carry = data.subarray(lineEnd + 1);
      if (lineEnd >= 0) this.push(decodeQuotedPrintable(data.subarray(0, lineEnd + 1)));
      done();
    },
    flush(done: TransformCallback) {
      if (carry.length > 0) this.push(decodeQuotedPrintable(carry));
      done();
    },
  });
}
