import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhookSignature, type WebhookVerdict } from '@avfleet/core';

/** What the receiver answers one request: a status code, or `hang` (never answers; the sender's timeout ends it). */
export type ScriptedReply = number | 'hang';

/** One request the receiver got. */
export interface ReceivedWebhook {
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The signature check a receiver following README "Webhook" makes (with the receiver's secret). */
  readonly verdict: WebhookVerdict;
  readonly status: ScriptedReply;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly received: ReceivedWebhook[];
  close(): Promise<void>;
}

/**
 * A webhook receiver on 127.0.0.1 (node:http): answers the n-th request with `script[n]`, and
 * every later one with `then` (default 200); verifies each request's signature with `secret`.
 */
export async function startWebhookReceiver(opts: { readonly secret: string; readonly script?: readonly ScriptedReply[]; readonly then?: ScriptedReply }): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const hanging = new Set<ServerResponse>();
  const header = (h: IncomingHttpHeaders, name: string): string | undefined => (typeof h[name] === 'string' ? (h[name] as string) : undefined);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const status = opts.script?.[received.length] ?? opts.then ?? 200;
      const verdict = verifyWebhookSignature({
        secret: opts.secret, body, timestamp: header(req.headers, TIMESTAMP_HEADER), signature: header(req.headers, SIGNATURE_HEADER), nowSec: Math.floor(Date.now() / 1000),
      });
      received.push({ headers: req.headers, body, verdict, status });
      if (status === 'hang') {
        hanging.add(res);
        return;
      }
      res.writeHead(status, { 'content-type': 'text/plain' }).end(`answered ${status}\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/avfleet`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
