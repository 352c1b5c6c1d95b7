import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startWebhookReceiver, type WebhookReceiver } from '../../../../test/helpers/webhook-receiver';
import { postWebhook } from './post-webhook';

const body = Buffer.from('{"id":"x"}');
const headers = { 'content-type': 'application/json' };
let receiver: WebhookReceiver | null = null;

afterEach(async () => {
  await receiver?.close();
  receiver = null;
});

/** A port nothing listens on: one the OS gave and took back. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('postWebhook', () => {
  it('sends the body byte for byte and returns the status', async () => {
    receiver = await startWebhookReceiver({ secret: 's', script: [503, 200] });
    expect(await postWebhook({ url: receiver.url, body, headers, timeoutMs: 5000 })).toEqual({ kind: 'status', status: 503 });
    expect(await postWebhook({ url: receiver.url, body, headers, timeoutMs: 5000 })).toEqual({ kind: 'status', status: 200 });
    expect(receiver.received.map((r) => r.body.equals(body))).toEqual([true, true]);
  });

  it('does not follow a redirect', async () => {
    receiver = await startWebhookReceiver({ secret: 's', script: [302] });
    expect(await postWebhook({ url: receiver.url, body, headers, timeoutMs: 5000 })).toEqual({ kind: 'status', status: 302 });
    expect(receiver.received).toHaveLength(1);
  });

  it('ends an attempt the receiver never answers at the timeout', async () => {
    receiver = await startWebhookReceiver({ secret: 's', script: ['hang'] });
    const started = Date.now();
    expect(await postWebhook({ url: receiver.url, body, headers, timeoutMs: 200 })).toEqual({ kind: 'timeout', afterMs: 200 });
    expect(Date.now() - started).toBeLessThan(2 * 200 + 1000);
  });

  it('reports a refused connection with its code', async () => {
    expect(await postWebhook({ url: `http://127.0.0.1:${await closedPort()}/`, body, headers, timeoutMs: 2000 })).toEqual({ kind: 'connection', detail: 'ECONNREFUSED' });
  });
});
