import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { TransportError, type TransportErrorCode } from '../errors';

/**
 * The shared HTTP(S) request helper of the HTTP scanners (kaspersky_se,
 * virustotal, metadefender): one request, one absolute deadline for the whole
 * exchange (connect, request, reply headers and body — "one budget per
 * attempt", not reset by traffic). Any HTTP status resolves; transport
 * failures (refused, reset, timeout, TLS, oversized or truncated reply) reject
 * with a TransportError. Redirects are not followed.
 */
export interface HttpRequestOptions {
  /** Absolute URL (`http:` or `https:`). */
  readonly url: string | URL;
  readonly method?: 'GET' | 'POST';
  /** Sent in this order; a `Host` given here replaces the automatic one. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer | string;
  /** Absolute deadline (ms since epoch) of this attempt. */
  readonly deadlineMs: number;
  readonly signal?: AbortSignal;
  /** Connection reuse: a keep-alive Agent of the caller, or false for a fresh connection. Default false. */
  readonly agent?: http.Agent | false;
  /** https only: verify the server certificate (default true). */
  readonly rejectUnauthorized?: boolean;
  /** Largest reply body accepted (default 16 MiB); larger replies reject. */
  readonly maxBodyBytes?: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  /** Lower-cased names (node's IncomingHttpHeaders). */
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export const HTTP_DEFAULT_MAX_BODY = 16 * 1024 * 1024;

/** Host header value: bracketed IPv6, port only when it is not the scheme's standard one (D8). */
export function hostHeader(host: string, port: number, scheme: 'http' | 'https'): string {
  const h = net.isIPv6(host) ? `[${host}]` : host;
  const standard = scheme === 'https' ? 443 : 80;
  return port === standard ? h : `${h}:${port}`;
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

export function httpRequest(options: HttpRequestOptions): Promise<HttpResponse> {
  const url = typeof options.url === 'string' ? new URL(options.url) : options.url;
  const server = url.host; // host:port, IPv6 bracketed
  const isHttps = url.protocol === 'https:';
  if (!isHttps && url.protocol !== 'http:') {
    return Promise.reject(new TransportError('AVF_ERR_TRANSPORT_CONNECT', `unsupported URL scheme ${url.protocol} in ${url.href}; use http: or https:`, { server }));
  }
  const maxBody = options.maxBodyBytes ?? HTTP_DEFAULT_MAX_BODY;
  const budget = Math.max(0, options.deadlineMs - Date.now());

  return new Promise<HttpResponse>((resolve, reject) => {
    let settled = false;
    let gotResponse = false;
    let req: http.ClientRequest | null = null;
    const finish = (e: TransportError | null, res?: HttpResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (e) {
        req?.destroy();
        reject(e);
      } else resolve(res!);
    };
    const timer = setTimeout(() => {
      const phase = gotResponse ? 'the complete reply' : 'a reply';
      finish(new TransportError('AVF_ERR_TRANSPORT_TIMEOUT', `no ${phase} from ${server} within ${(budget / 1000).toFixed(1)} s; check the service or raise the rule's timeout`, { server }));
    }, budget);
    const onAbort = (): void => finish(new TransportError('AVF_ERR_TRANSPORT_TIMEOUT', `request to ${server} aborted by the caller`, { server }));
    if (options.signal?.aborted) {
      onAbort();
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const body = options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body);
    const reqOptions: https.RequestOptions = {
      method: options.method ?? (body ? 'POST' : 'GET'),
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port === '' ? (isHttps ? 443 : 80) : Number(url.port),
      path: `${url.pathname}${url.search}`,
      headers: { ...(options.headers ?? {}) },
      agent: options.agent ?? false,
      ...(isHttps ? { rejectUnauthorized: options.rejectUnauthorized ?? true } : {}),
    };
    try {
      req = (isHttps ? https : http).request(reqOptions);
    } catch (e) {
      finish(new TransportError('AVF_ERR_TRANSPORT_CONNECT', `cannot build the request to ${server}: ${e instanceof Error ? e.message : String(e)}`, { server, cause: e }));
      return;
    }
    req.on('error', (e: NodeJS.ErrnoException) => finish(mapError(e, server, gotResponse)));
    req.on('response', (res) => {
      gotResponse = true;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBody) {
          finish(new TransportError('AVF_ERR_TRANSPORT_RESET', `reply from ${server} is larger than ${maxBody} bytes`, { server }));
          return;
        }
        chunks.push(c);
      });
      res.on('error', (e: NodeJS.ErrnoException) => finish(mapError(e, server, true)));
      res.on('aborted', () => finish(new TransportError('AVF_ERR_TRANSPORT_CLOSED', `${server} closed the connection in the middle of its reply`, { server })));
      res.on('end', () => {
        if (!res.complete) {
          finish(new TransportError('AVF_ERR_TRANSPORT_CLOSED', `${server} closed the connection in the middle of its reply`, { server }));
          return;
        }
        finish(null, { status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers, body: Buffer.concat(chunks) });
      });
    });
    req.end(body);
  });
}

function mapError(e: NodeJS.ErrnoException, server: string, gotResponse: boolean): TransportError {
  const sys = e.code ?? 'unknown error';
  let code: TransportErrorCode;
  let what: string;
  if (CONNECT_CODES.has(sys)) {
    code = 'AVF_ERR_TRANSPORT_CONNECT';
    what = `cannot connect to ${server} (${sys}); check that the service runs and the URL is right`;
  } else if (sys === 'ECONNRESET' || sys === 'EPIPE') {
    code = gotResponse ? 'AVF_ERR_TRANSPORT_CLOSED' : 'AVF_ERR_TRANSPORT_RESET';
    what = `connection to ${server} was reset (${sys}: ${e.message})`;
  } else {
    code = 'AVF_ERR_TRANSPORT_RESET';
    what = `request to ${server} failed (${sys}: ${e.message})`;
  }
  return new TransportError(code, what, { server, cause: e });
}
