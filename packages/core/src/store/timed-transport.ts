import http from 'node:http';
import https from 'node:https';

/** Node's request function as the minio client calls it: `transport.request(options, onResponse)`. */
export interface RequestTransport {
  request: typeof http.request;
}

export interface TimedTransportOptions {
  /** Longest silence (no byte sent or received) allowed before the response headers arrive, connecting included. */
  readonly requestTimeoutMs: number;
  /** Longest silence allowed while the response body is read; 0 for none. */
  readonly bodyIdleTimeoutMs: number;
}

/** The error a timed-out request is destroyed with (its `code` is ETIMEDOUT, like a kernel connect timeout). */
export class RequestTimeoutError extends Error {
  override readonly name = 'RequestTimeoutError';
  readonly code = 'ETIMEDOUT';
  constructor(readonly timeoutMs: number, phase: 'response' | 'body') {
    super(phase === 'response' ? `no answer within ${timeoutMs} ms` : `response body stalled for ${timeoutMs} ms`);
    Object.setPrototypeOf(this, RequestTimeoutError.prototype);
  }
}

/**
 * Wraps `http`/`https` so every request fails fast when the server is silent.
 *
 * The minio v8 client has no timeout option (`setRequestOptions` keeps only
 * TLS and agent fields), but it takes a custom `transport` whose `request`
 * it calls for every S3 call. This one arms the socket's inactivity timer
 * (`req.setTimeout`, which also covers a connect that never completes) and
 * destroys the request when it fires, so the client's promise rejects with
 * `RequestTimeoutError` instead of hanging for the kernel's minutes. Once the
 * headers are in, the body gets its own (longer) idle limit, because a
 * stream consumer may legitimately pause it for a while.
 */
export function createTimedTransport(protocol: 'http:' | 'https:', options: TimedTransportOptions): RequestTransport {
  const base = protocol === 'https:' ? https : http;
  const { requestTimeoutMs, bodyIdleTimeoutMs } = options;
  const request = (options: http.RequestOptions, callback?: (res: http.IncomingMessage) => void): http.ClientRequest => {
    const req = base.request(options, callback);
    let phase: 'response' | 'body' = 'response';
    req.on('timeout', () => {
      req.destroy(new RequestTimeoutError(phase === 'response' ? requestTimeoutMs : bodyIdleTimeoutMs, phase));
    });
    req.setTimeout(requestTimeoutMs);
    req.once('response', () => {
      phase = 'body';
      req.setTimeout(bodyIdleTimeoutMs);
    });
    return req;
  };
  return { request: request as typeof http.request };
}
