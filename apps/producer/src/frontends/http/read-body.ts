import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { ApiError } from './api-error';

/** A 413 closes the connection: the rest of an oversize upload is never read into memory. */
const CLOSE = Object.freeze({ connection: 'close' });

function tooLarge(detail: string, maxBytes: number): ApiError {
  return new ApiError('AVF_ERR_TOO_LARGE', `${detail}, over the limit (AVFLEET_MAX_MESSAGE_BYTES=${maxBytes}); send a smaller message or raise the limit`, CLOSE);
}

/** The Content-Length the client declared, or null (chunked or absent). */
function declaredLength(headers: IncomingHttpHeaders): number | null {
  const v = headers['content-length'];
  if (v === undefined) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** 413 before reading anything when the declared length is already over the limit. */
export function refuseDeclaredOversize(headers: IncomingHttpHeaders, maxBytes: number): void {
  const declared = declaredLength(headers);
  if (declared !== null && declared > maxBytes) throw tooLarge(`the message is ${declared} bytes`, maxBytes);
}

/**
 * Bodies are raw messages, uncompressed. rspamc -z sends `Compression: zstd`
 * (Node 20 has no zstd), other clients may send Content-Encoding: both get 415.
 */
export function refuseEncodedBody(headers: IncomingHttpHeaders): void {
  const compression = headers.compression;
  if (typeof compression === 'string' && compression.trim() !== '' && compression.trim().toLowerCase() !== 'none') {
    throw new ApiError('AVF_ERR_UNSUPPORTED_ENCODING', `compressed requests (Compression: ${compression.trim()}, rspamc -z) are not supported; send the message uncompressed (drop -z)`);
  }
  const encoding = headers['content-encoding'];
  if (typeof encoding === 'string' && encoding.trim() !== '' && encoding.trim().toLowerCase() !== 'identity') {
    throw new ApiError('AVF_ERR_UNSUPPORTED_ENCODING', `Content-Encoding '${encoding.trim()}' is not supported; send the raw message uncompressed`);
  }
}

/**
 * Reads the whole request body, refusing (413) as soon as it passes `maxBytes`,
 * never holding more than `maxBytes` plus one chunk. The 413 carries
 * `Connection: close`, so the server hangs up instead of reading (and
 * discarding) the rest of the upload.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  refuseDeclaredOversize(req.headers, maxBytes);
  const declared = declaredLength(req.headers);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    // With a declared length the chunks are copied into one buffer as they arrive, so
    // a large body is not held twice (all its chunks next to their concatenation).
    let into: Buffer | null = declared !== null && declared > 0 ? Buffer.allocUnsafe(declared) : null;
    let total = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > maxBytes) {
        cleanup();
        chunks.length = 0;
        req.pause();
        into = null;
        reject(tooLarge(`the message is more than ${maxBytes} bytes`, maxBytes));
        return;
      }
      if (into !== null && total <= into.length) {
        chunk.copy(into, total - chunk.length);
        return;
      }
      if (into !== null) {
        // More than declared (the HTTP parser does not let this happen): fall back to chunks.
        chunks.push(into.subarray(0, total - chunk.length));
        into = null;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(into !== null ? into.subarray(0, total) : Buffer.concat(chunks, total));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(new ApiError('AVF_ERR_BAD_REQUEST', `the request body could not be read: ${err.message}`, CLOSE, { cause: err }));
    };
    const onAborted = (): void => onError(new Error('the client closed the connection'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}
