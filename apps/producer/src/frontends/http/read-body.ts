import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { busyError, type InflightBudget, type Reservation } from '@avfleet/core';
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
 * never holding more than `maxBytes` plus one chunk. Memory grows with the bytes
 * that really arrive, never with the declared Content-Length (a client that declares
 * 50 MB and sends 1 byte holds 1 byte); the chunks are joined once, at the end.
 * `onBytes` is told of each chunk before it is kept (the in-flight budget reserves it
 * there, and throws an ApiError to refuse). The 413 carries `Connection: close`, so the
 * server hangs up instead of reading (and discarding) the rest of the upload.
 */
export function readBody(req: IncomingMessage, maxBytes: number, onBytes: (bytes: number) => void = () => undefined): Promise<Buffer> {
  refuseDeclaredOversize(req.headers, maxBytes);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const fail = (err: unknown): void => {
      cleanup();
      chunks.length = 0;
      req.pause();
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > maxBytes) {
        fail(tooLarge(`the message is more than ${maxBytes} bytes`, maxBytes));
        return;
      }
      try {
        onBytes(chunk.length);
      } catch (err) {
        fail(err);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total));
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

/** The budget's refusal as HTTP: 503 with Retry-After, and the connection closed (the rest of the body is not read). */
function busy(budget: InflightBudget): ApiError {
  const e = busyError(budget);
  return new ApiError(e.code, e.message, { ...CLOSE, 'retry-after': String(e.retryAfterSec) }, { cause: e });
}

/** 503 before reading anything when the declared length cannot fit beside the bodies held now (the in-flight budget). */
export function refuseDeclaredOverBudget(headers: IncomingHttpHeaders, budget: InflightBudget): void {
  const declared = declaredLength(headers);
  if (declared !== null && budget.wouldRefuse(declared)) throw busy(budget);
}

/**
 * readBody with every chunk reserved in the producer's in-flight budget as it arrives
 * (AVFLEET_MAX_INFLIGHT_BYTES): past it, 503 + Retry-After. The caller releases the
 * reservation once the request is answered.
 */
export async function readBudgetedBody(req: IncomingMessage, maxBytes: number, budget: InflightBudget): Promise<{ raw: Buffer; reservation: Reservation }> {
  const reservation = budget.open();
  try {
    const raw = await readBody(req, maxBytes, (bytes) => {
      if (!reservation.take(bytes)) throw busy(budget);
    });
    return { raw, reservation };
  } catch (err) {
    reservation.release();
    throw err;
  }
}
