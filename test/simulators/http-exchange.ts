import { GARBAGE_LINE, type SimSocket } from './simulator-server';

/**
 * Raw HTTP/1.1 on a SimSocket for the HTTP scanner simulators (kaspersky_se,
 * virustotal, metadefender): the request is read byte-exact, the reply is
 * written by hand so a scenario can also drip, reset or send garbage. Every
 * reply carries `Connection: close` (one request per connection, so tests can
 * count connections).
 */
/** Bytes that make a simulated engine report EICAR (the test string's signature part). */
export const EICAR_MARK = 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE';
export const EICAR_MD5 = '44d88612fea8a8f36de82e1278abb02f';
export const EICAR_SHA256 = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f';

export interface SimHttpRequest {
  readonly method: string;
  /** Path with query string. */
  readonly target: string;
  readonly version: string;
  /** Lower-cased names; the last of repeated headers wins. */
  readonly headers: ReadonlyMap<string, string>;
  /** Header names in the order they were sent, as sent. */
  readonly headerOrder: readonly string[];
  readonly body: Buffer;
}

/** Reads one request (head up to CRLFCRLF, then Content-Length bytes); null when the client closed first. */
export async function readHttpRequest(sock: SimSocket): Promise<SimHttpRequest | null> {
  const head = await sock.line('\r\n\r\n');
  if (head === null) return null;
  const [requestLine = '', ...lines] = head.split('\r\n');
  const [method = '', target = '', version = ''] = requestLine.split(' ');
  const headers = new Map<string, string>();
  const headerOrder: string[] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon);
    headerOrder.push(name);
    headers.set(name.toLowerCase(), line.slice(colon + 1).trim());
  }
  const length = Number(headers.get('content-length') ?? '0');
  const body = length > 0 ? await sock.bytes(length) : Buffer.alloc(0);
  if (body === null) return null;
  return { method, target, version, headers, headerOrder, body };
}

const REASONS: Readonly<Record<number, string>> = {
  200: 'OK',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Writes a complete reply and closes. */
export function sendHttpReply(sock: SimSocket, status: number, body: string | Buffer = '', headers: Readonly<Record<string, string>> = {}): void {
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const lines = [`HTTP/1.1 ${status} ${REASONS[status] ?? 'Status'}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  if (status !== 204) lines.push(`Content-Length: ${b.length}`);
  lines.push('Connection: close', '', '');
  if (!sock.socket.destroyed) sock.socket.end(Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), status === 204 ? Buffer.alloc(0) : b]));
}

export const sendJson = (sock: SimSocket, status: number, value: unknown): void =>
  sendHttpReply(sock, status, JSON.stringify(value), { 'Content-Type': 'application/json' });

/** Transport faults at the point where the reply is due: `slow` (status line, then one header byte every 50 ms, never done), `reset`, `garbage-http` (not HTTP at all). */
export type HttpFaultScenario = 'slow' | 'reset' | 'garbage-http';

export function actOutHttpFault(sock: SimSocket, scenario: string): scenario is HttpFaultScenario {
  if (scenario === 'slow') {
    sock.send('HTTP/1.1 200 OK\r\nX-Slow: ');
    sock.drip();
  } else if (scenario === 'reset') sock.reset();
  else if (scenario === 'garbage-http') sock.end(`${GARBAGE_LINE}\r\n\r\n`);
  else return false;
  return true;
}
