import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { buildOpsServer } from './ops-server';

async function get(server: ReturnType<typeof buildOpsServer>, path: string): Promise<{ status: number; body: string }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: res.status, body: await res.text() };
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('worker ops listener', () => {
  it('/readyz answers 503 in bounded time when a readiness check hangs', async () => {
    const started = Date.now();
    const r = await get(buildOpsServer(new Registry(), () => new Promise(() => undefined), 200), '/readyz');
    expect(r.status).toBe(503);
    expect(r.body).toMatch(/did not answer within 200 ms/);
    expect(Date.now() - started).toBeLessThan(1400);
  });

  it('/readyz reports what is down; /healthz and /metrics answer', async () => {
    const down = await get(buildOpsServer(new Registry(), async () => ({ ok: false, body: { redis: 'ok', store: 'ECONNREFUSED', rules: {} } })), '/readyz');
    expect(down.status).toBe(503);
    expect(JSON.parse(down.body)).toEqual({ redis: 'ok', store: 'ECONNREFUSED', rules: {} });
    expect((await get(buildOpsServer(new Registry(), async () => ({ ok: true, body: {} })), '/healthz')).status).toBe(200);
    expect((await get(buildOpsServer(new Registry(), async () => ({ ok: true, body: {} })), '/metrics')).status).toBe(200);
  });
});
