import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { buildOpsServer, type Readiness } from './ops-server';
import { readinessCheck } from './readiness';
import { NOOP_LOGGER, type Logger } from './logger';

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

const ops = (readiness: () => Promise<Readiness>, readinessTimeoutMs?: number, logger?: Logger): ReturnType<typeof buildOpsServer> =>
  buildOpsServer({ registry: new Registry(), readiness, ...(readinessTimeoutMs ? { readinessTimeoutMs } : {}), ...(logger ? { logger } : {}) });
const ready = (): Promise<Readiness> => Promise.resolve({ ok: true, redis: 'ok', store: 'ok', details: {} });

/** A logger that keeps what was logged at warn and info. */
function recordingLogger(): { logger: Logger; lines: { level: string; obj: unknown; msg: string }[] } {
  const lines: { level: string; obj: unknown; msg: string }[] = [];
  const logger = {
    ...NOOP_LOGGER,
    warn: (obj: unknown, msg: string) => void lines.push({ level: 'warn', obj, msg }),
    info: (obj: unknown, msg: string) => void lines.push({ level: 'info', obj, msg }),
    error: (obj: unknown, msg: string) => void lines.push({ level: 'error', obj, msg }),
  } as unknown as Logger;
  return { logger, lines };
}

describe('ops listener', () => {
  it('/readyz answers 503 in bounded time when a readiness check hangs, naming the hang', async () => {
    const started = Date.now();
    const r = await get(ops(() => new Promise(() => undefined), 200), '/readyz');
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body)).toEqual({ redis: 'down', store: 'down' });
    expect(Date.now() - started).toBeLessThan(2 * 200 + 1000);
  });

  it('a worker\'s /readyz shows states only; why goes to the log, once per change', async () => {
    const { logger, lines } = recordingLogger();
    const check = async (): Promise<Readiness> => ({
      ok: false, redis: 'ok', store: 'down', rules: { clamav: 'down' }, details: { store: 'ENOENT /srv/avfleet/store', 'rule clamav': 'no server available' },
    });
    const server = ops(check, undefined, logger);
    for (let i = 0; i < 3; i++) {
      const down = await get(server, '/readyz');
      expect(down.status).toBe(503);
      expect(JSON.parse(down.body)).toEqual({ redis: 'ok', store: 'down', rules: { clamav: 'down' } });
      expect(down.body).not.toContain('/srv');
    }
    expect(lines).toEqual([{ level: 'warn', msg: 'not ready', obj: { readiness: expect.objectContaining({ details: expect.objectContaining({ store: 'ENOENT /srv/avfleet/store' }) }) } }]);
  });

  it('/metrics that cannot be read answers 503 with a stable code and no error text; the log has it', async () => {
    const { logger, lines } = recordingLogger();
    const server = buildOpsServer({ registry: new Registry(), readiness: ready, logger, metricsText: () => Promise.reject(new Error('ipc to pid 4242 at /run/avfleet.sock closed')) });
    const r = await get(server, '/metrics');
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body)).toEqual({ error: { code: 'AVF_ERR_UNAVAILABLE', message: expect.stringContaining('see the process log') } });
    expect(r.body).not.toMatch(/4242|\/run/);
    expect(lines.map((l) => l.level)).toEqual(['error']);
  });

  it('/healthz and /metrics answer; other paths and methods do not', async () => {
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
    expect(await check()).toEqual({ ok: true, redis: 'ok', store: 'ok', rules: { clamav: 'ok' }, details: {} });
  });

  it('says what is down, and why in details: Redis, the store, a rule with no server (a failed probe counts as none)', async () => {
    const check = readinessCheck(down, up, new Map([
      ['clamav', { isReady: () => Promise.resolve(false) }],
      ['icap', { isReady: () => Promise.reject(new Error('probe failed')) }],
      ['sophos', {}],
    ]));
    expect(await check()).toEqual({
      ok: false, redis: 'down', store: 'ok', rules: { clamav: 'down', icap: 'down', sophos: 'ok' },
      details: { redis: 'connect ECONNREFUSED', 'rule clamav': 'no server available', 'rule icap': 'no server available' },
    });
    expect((await readinessCheck(up, down)()).ok).toBe(false);
  });
});
