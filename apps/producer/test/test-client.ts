import { request, type IncomingHttpHeaders, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A reply as tests look at it. */
export interface TestReply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

/** Starts `server` on 127.0.0.1 and an ephemeral port; returns the port. */
export async function listenEphemeral(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as AddressInfo).port;
}

export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * One HTTP request to 127.0.0.1:port (tests of the HTTP layer; no network
 * beyond loopback). A header given as an array is sent as repeated lines.
 */
export function call(port: number, method: string, path: string, opts: { body?: string | Buffer; headers?: OutgoingHttpHeaders } = {}): Promise<TestReply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) req.setHeader(k, v);
    if (opts.body !== undefined) req.end(opts.body);
    else req.end();
  });
}
