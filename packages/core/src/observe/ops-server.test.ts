import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { buildOpsServer, type Readiness } from './ops-server';
import { readinessCheck } from './readiness';

async function get(server: ReturnType<typeof buildOpsServer>, path: string, method = 'GET'): Promise<{ status: number; body: string }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
    return { status: res.status, body: await res.text() };
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const ops = (readiness: () => Promise<Readiness>, readinessTimeoutMs?: number): ReturnType<typeof buildOpsServer> =>
  buildOpsServer({ registry: new Registry(), readiness, ...(readinessTimeoutMs ? { readinessTimeoutMs } : {}) });
const ready = (): Promise<Readiness> => Promise.resolve({ ok: true, redis: 'ok', store: 'ok' });

describe('ops listener', () => {
  it('/readyz answers 503 in bounded time when a readiness check hangs, naming the hang', async () => {
    const started = Date.now();
    const r = await get(ops(() => new Promise(() => undefined), 200), '/readyz');
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body)).toEqual({ redis: expect.stringMatching(/did not answer within 200 ms/), store: expect.any(String) });
    expect(Date.now() - started).toBeLessThan(2 * 200 + 1000);
  });

  it('/readyz reports what is down; /healthz and /metrics answer; other paths and methods do not', async () => {
    const down = await get(ops(async () => ({ ok: false, redis: 'ok', store: 'ECONNREFUSED', rules: {} })), '/readyz');
    expect(down.status).toBe(503);
    expect(JSON.parse(down.body)).toEqual({ redis: 'ok', store: 'ECONNREFUSED', rules: {} });
    expect((await get(ops(ready), '/healthz')).status).toBe(200);
    expect((await get(ops(ready), '/metrics')).status).toBe(200);
    expect((await get(ops(ready), '/scans')).status).toBe(404);
    expect((await get(ops(ready), '/healthz', 'POST')).status).toBe(405);
  });
});

describe('readinessCheck', () => {
  const up = { ping: () => Promise.resolve('PONG') };
  const down = { ping: () => Promise.reject(new Error('connect ECONNREFUSED')) };

  it('is ready when Redis, the store and every rule answer', async () => {
    const check = readinessCheck(up, up, new Map([['clamav', { isReady: () => Promise.resolve(true) }]]));
    expect(await check()).toEqual({ ok: true, redis: 'ok', store: 'ok', rules: { clamav: 'ok' } });
  });

  it('names what is down: Redis, the store, a rule with no server (a failed probe counts as none)', async () => {
    const check = readinessCheck(down, up, new Map([
      ['clamav', { isReady: () => Promise.resolve(false) }],
      ['icap', { isReady: () => Promise.reject(new Error('probe failed')) }],
      ['sophos', {}],
    ]));
    expect(await check()).toEqual({
      ok: false, redis: 'connect ECONNREFUSED', store: 'ok', rules: { clamav: 'no server available', icap: 'no server available', sophos: 'ok' },
    });
    expect((await readinessCheck(up, down)()).ok).toBe(false);
  });
});
