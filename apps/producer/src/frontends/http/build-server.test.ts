import type { Server } from 'node:http';
import { MAX_ADDRESS_BYTES, MAX_HOST_BYTES, MAX_QUEUE_ID_BYTES, MAX_RECIPIENTS, NOOP_LOGGER, newScanId, type Logger } from '@avfleet/core';
import { buildServer } from './build-server';
import { fakeFleet, sampleResult, type FakeFleet, type FakeFleetOptions } from '../../../test/fake-http-deps';
import type { Readiness } from '@avfleet/core';
import type { HttpDeps } from './http-deps';
import { call, closeServer, listenEphemeral } from '../../../test/test-client';

const MSG = 'From: a@example.com\r\nTo: b@example.com\r\nSubject: t\r\nMessage-ID: <m1@example.com>\r\n\r\nhello\r\n';
const THRESHOLDS = { reject: 15, 'add header': 6, greylist: 4 };

let server: Server | null = null;
afterEach(async () => {
  if (server) await closeServer(server);
  server = null;
});

async function start(opts: FakeFleetOptions = {}, serveMetrics = true): Promise<{ port: number; fleet: FakeFleet }> {
  // A test that starts a second server closes the first: none may outlive the test.
  if (server) await closeServer(server);
  const fleet = fakeFleet(opts);
  server = buildServer(fleet.deps, { serveMetrics, thresholds: THRESHOLDS });
  return { port: await listenEphemeral(server), fleet };
}

function expectError(reply: { json: unknown }, code: string): void {
  expect(reply.json).toEqual({ error: { code, message: expect.any(String) } });
  expect((reply.json as { error: { message: string } }).error.message.length).toBeGreaterThan(10);
}

describe('POST /scans', () => {
  it('answers 200 with the result when the scan finishes within wait', async () => {
    const { port, fleet } = await start({ finishAfterMs: 20, resultFor: (id) => sampleResult(id, 'virus') });
    const r = await call(port, 'POST', '/scans?wait=5', { body: MSG });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.json).toMatchObject({ id: fleet.accepted[0].scanId, state: 'done', action: 'reject', symbols: { CLAM_VIRUS: { options: ['Eicar-Test-Signature.UNOFFICIAL'] } } });
    expect(fleet.accepted[0].raw.toString()).toBe(MSG);
  });

  it('answers 202 with id, state and Location when the scan is not done within wait', async () => {
    const { port, fleet } = await start({ finishAfterMs: null });
    const r = await call(port, 'POST', '/scans?wait=0.2', { body: MSG });
    expect(r.status).toBe(202);
    const id = fleet.accepted[0].scanId;
    expect(r.json).toEqual({ id, state: 'queued' });
    expect(r.headers.location).toBe(`/scans/${id}`);
  });

  it('answers 202 at once with wait=0, even when the scan would finish quickly', async () => {
    const { port, fleet } = await start({ finishAfterMs: 50 });
    const r = await call(port, 'POST', '/scans?wait=0', { body: MSG });
    expect(r.status).toBe(202);
    expect(r.headers.location).toBe(`/scans/${fleet.accepted[0].scanId}`);
  });

  it('answers 400 to an empty body without enqueueing anything', async () => {
    const { port, fleet } = await start();
    const r = await call(port, 'POST', '/scans', { body: '' });
    expect(r.status).toBe(400);
    expectError(r, 'AVF_ERR_EMPTY_BODY');
    expect(fleet.accepted).toHaveLength(0);
  });

  it.each(['abc', '-1', '', 'Infinity', 'NaN', '31536001', '1e300'])('answers 400 to wait=%j', async (wait) => {
    const { port, fleet } = await start();
    const r = await call(port, 'POST', `/scans?wait=${wait}`, { body: MSG });
    expect(r.status).toBe(400);
    expectError(r, 'AVF_ERR_BAD_REQUEST');
    expect(fleet.accepted).toHaveLength(0);
  });

  it('answers 429 with Retry-After when the queues are over AVFLEET_MAX_WAITING', async () => {
    const { port, fleet } = await start({ retryAfterSec: () => Promise.resolve(7) });
    const r = await call(port, 'POST', '/scans', { body: MSG });
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBe('7');
    expectError(r, 'AVF_ERR_QUEUE_FULL');
    expect(fleet.accepted).toHaveLength(0);
  });

  it('answers 503 when the store is unreachable', async () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9000'), { code: 'AVF_ERR_STORE_UNAVAILABLE' });
    const { port } = await start({ accept: () => Promise.reject(err) });
    const r = await call(port, 'POST', '/scans', { body: MSG });
    expect(r.status).toBe(503);
    expectError(r, 'AVF_ERR_UNAVAILABLE');
    expect(r.headers['retry-after']).toBeDefined();
  });

  it('a 503 for a broken store names the component with a stable code; the path, pid and temp file go to the log only', async () => {
    const text = "EACCES: permission denied, open '/var/lib/avfleet/store/messages/2026-12-07/.tmp-4242-9f3a.eml'";
    const err = Object.assign(new Error(text), { code: 'AVF_ERR_STORE_UNAVAILABLE' });
    const logged: unknown[] = [];
    const logger = { ...NOOP_LOGGER, error: (obj: unknown) => void logged.push(obj) } as unknown as Logger;
    const { port } = await start({ accept: () => Promise.reject(err), overrides: { logger } });
    const r = await call(port, 'POST', '/scans', { body: MSG });
    expect(r.status).toBe(503);
    expect(r.json).toEqual({ error: { code: 'AVF_ERR_UNAVAILABLE', message: 'the object store is unreachable; see the producer log (AVF_ERR_UNAVAILABLE)' } });
    expect(r.text).not.toMatch(/var\/lib|4242|tmp|EACCES/);
    // The log keeps the cause chain down to the store's own error.
    let cause: unknown = (logged[0] as { err: Error }).err;
    const chain: string[] = [];
    while (cause instanceof Error) {
      chain.push(cause.message);
      cause = cause.cause;
    }
    expect(chain).toContain(text);
  });

  it('answers 503 when Redis refuses connections', async () => {
    const { port } = await start({ accept: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')) });
    const r = await call(port, 'POST', '/scans', { body: MSG });
    expect(r.status).toBe(503);
    expectError(r, 'AVF_ERR_UNAVAILABLE');
  });

  it('answers 503 in bounded time when the store never answers', async () => {
    const { port } = await start({ accept: () => new Promise(() => undefined) });
    const t0 = Date.now();
    const r = await call(port, 'POST', '/scans', { body: MSG });
    expect(r.status).toBe(503);
    expectError(r, 'AVF_ERR_UNAVAILABLE');
    expect(Date.now() - t0).toBeLessThan(2 * 300 + 1000);
  });

  it('answers 503 in bounded time when the queue-depth check never answers', async () => {
    const { port, fleet } = await start({ retryAfterSec: () => new Promise(() => undefined) });
    const r = await call(port, 'POST', '/scans', { body: MSG });
    expect(r.status).toBe(503);
    expect(fleet.accepted).toHaveLength(0);
  });

  it('answers 500 with the error JSON on an unexpected failure', async () => {
    const { port } = await start({ accept: () => Promise.reject(new TypeError('boom')) });
    const r = await call(port, 'POST', '/scans', { body: MSG });
    expect(r.status).toBe(500);
    expectError(r, 'AVF_ERR_INTERNAL');
    expect(r.text).not.toContain('boom');
  });
});

describe('GET /scans/:id', () => {
  it('gives queued, then running, then the finished result', async () => {
    const { port, fleet } = await start({ finishAfterMs: null });
    const posted = await call(port, 'POST', '/scans?wait=0', { body: MSG });
    const location = posted.headers.location as string;
    const id = fleet.accepted[0].scanId;
    expect(await call(port, 'GET', location)).toMatchObject({ status: 200, json: { id, state: 'queued' } });
    fleet.jobStates.set(id, 'active');
    expect(await call(port, 'GET', location)).toMatchObject({ status: 200, json: { id, state: 'running' } });
    fleet.finish(id, sampleResult(id, 'virus'));
    expect(await call(port, 'GET', location)).toMatchObject({ status: 200, json: { id, state: 'done', action: 'reject' } });
  });

  it.each([newScanId(), 'not-an-id', '%E0%A4%A', ''])('answers 404 for unknown or malformed id %j', async (id) => {
    const { port } = await start();
    const r = await call(port, 'GET', `/scans/${id}`);
    expect(r.status).toBe(404);
    expectError(r, 'AVF_ERR_NOT_FOUND');
  });

  it('answers 503 when Redis never answers', async () => {
    const { port } = await start({ results: { load: () => new Promise(() => undefined) } });
    const r = await call(port, 'GET', `/scans/${newScanId()}`);
    expect(r.status).toBe(503);
    expectError(r, 'AVF_ERR_UNAVAILABLE');
  });
});

describe('authentication', () => {
  const TOKEN = 's3cr3t-token';
  const withToken = (): FakeFleetOptions => ({ overrides: { apiToken: TOKEN } as Partial<HttpDeps> });

  it.each([
    ['no header', {}],
    ['a wrong Bearer token', { authorization: 'Bearer nope' }],
    ['a wrong Password', { password: 'nope' }],
    ['a token prefix', { password: TOKEN.slice(0, -1) }],
    ['Basic instead of Bearer', { authorization: `Basic ${TOKEN}` }],
  ])('answers 401 with %s', async (_label, headers) => {
    const { port, fleet } = await start(withToken());
    for (const [method, path] of [['POST', '/scans'], ['POST', '/checkv2'], ['GET', `/scans/${newScanId()}`]] as const) {
      const r = await call(port, method, path, { body: method === 'POST' ? MSG : undefined, headers });
      expect(r.status).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Bearer');
      expectError(r, 'AVF_ERR_UNAUTHORIZED');
    }
    expect(fleet.accepted).toHaveLength(0);
  });

  it.each([
    ['Authorization: Bearer', { authorization: `Bearer ${TOKEN}` }],
    ['Password (rspamc -P)', { password: TOKEN }],
  ])('accepts the token as %s', async (_label, headers) => {
    const { port } = await start(withToken());
    expect((await call(port, 'POST', '/scans', { body: MSG, headers })).status).toBe(200);
    expect((await call(port, 'POST', '/checkv2', { body: MSG, headers })).status).toBe(200);
  });

  it('needs no token for /healthz, /readyz and /metrics', async () => {
    const { port } = await start(withToken());
    for (const path of ['/healthz', '/readyz', '/metrics']) expect((await call(port, 'GET', path)).status).toBe(200);
  });
});

describe('health, readiness, metrics, routing', () => {
  it('/healthz answers {"status":"ok"}', async () => {
    const { port } = await start();
    expect(await call(port, 'GET', '/healthz')).toMatchObject({ status: 200, json: { status: 'ok' } });
  });

  it('/readyz answers 200 with redis and store when both answer', async () => {
    const { port } = await start();
    expect(await call(port, 'GET', '/readyz')).toMatchObject({ status: 200, json: { redis: 'ok', store: 'ok' } });
  });

  const storeDown = (): Promise<Readiness> => Promise.resolve({
    ok: false, redis: 'ok', store: 'down', rules: { clamav: 'down' },
    details: { store: "EACCES: permission denied, open '/var/lib/avfleet/store/tmp/.123.tmp'", 'rule clamav': 'no server available' },
  });

  it('/readyz answers 503 with states only to a caller without the token: no path, no error text', async () => {
    for (const overrides of [{}, { apiToken: 's3cr3t' }] as Partial<HttpDeps>[]) {
      const { port } = await start({ readiness: storeDown, overrides });
      const r = await call(port, 'GET', '/readyz', { headers: { authorization: 'Bearer wrong' } });
      expect(r.status).toBe(503);
      expect(r.json).toEqual({ redis: 'ok', store: 'down', rules: { clamav: 'down' } });
      expect(r.text).not.toMatch(/avfleet|EACCES|tmp/);
    }
  });

  it('/readyz adds why to the states for a caller with the configured token', async () => {
    const { port } = await start({ readiness: storeDown, overrides: { apiToken: 's3cr3t' } });
    for (const headers of [{ authorization: 'Bearer s3cr3t' }, { password: 's3cr3t' }]) {
      const r = await call(port, 'GET', '/readyz', { headers });
      expect(r.status).toBe(503);
      expect(r.json).toEqual({
        redis: 'ok', store: 'down', rules: { clamav: 'down' },
        details: { store: expect.stringContaining('/var/lib/avfleet/store'), 'rule clamav': 'no server available' },
      });
    }
  });

  it('/readyz answers 503 in bounded time when the checks hang', async () => {
    const { port } = await start({ readiness: () => new Promise(() => undefined) });
    const r = await call(port, 'GET', '/readyz');
    expect(r.status).toBe(503);
    expect(r.json).toEqual({ redis: 'down', store: 'down' });
  });

  it('/metrics is Prometheus text, counting requests by bounded route label', async () => {
    const { port } = await start();
    await call(port, 'GET', `/scans/${newScanId()}`);
    const r = await call(port, 'GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    expect(r.text).toMatch(/avfleet_http_requests_total\{route="get_scan",status="404"\} 1/);
  });

  it('/metrics is 404 when served on another listener', async () => {
    const { port } = await start({}, false);
    const r = await call(port, 'GET', '/metrics');
    expect(r.status).toBe(404);
    expectError(r, 'AVF_ERR_NOT_FOUND');
  });

  it.each([
    ['GET', '/scans', 'POST'],
    ['PUT', '/scans', 'POST'],
    ['POST', '/healthz', 'GET, HEAD'],
    ['DELETE', `/scans/${newScanId()}`, 'GET, HEAD'],
  ])('answers 405 to %s %s with Allow', async (method, path, allow) => {
    const { port, fleet } = await start();
    const r = await call(port, method, path, { body: method === 'GET' ? undefined : MSG });
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe(allow);
    expectError(r, 'AVF_ERR_METHOD_NOT_ALLOWED');
    expect(fleet.accepted).toHaveLength(0);
  });

  it('takes /checkv2 with any method, while /scans keeps POST only', async () => {
    const { port, fleet } = await start();
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      const r = await call(port, method, '/checkv2', { body: MSG, headers: { 'content-length': String(Buffer.byteLength(MSG)) } });
      expect([method, r.status]).toEqual([method, 200]);
    }
    expect(fleet.accepted).toHaveLength(6);
    expect((await call(port, 'GET', '/scans', { body: MSG, headers: { 'content-length': String(Buffer.byteLength(MSG)) } })).status).toBe(405);
  });

  it('refuses a compressed or oversize /checkv2 whatever the method, typed exactly application/json', async () => {
    const { port, fleet } = await start({ overrides: { maxMessageBytes: 10 } as Partial<HttpDeps> });
    const headers = { 'content-length': String(Buffer.byteLength(MSG)) };
    const big = await call(port, 'GET', '/checkv2', { body: MSG, headers });
    expect(big.status).toBe(413);
    expect(big.headers['content-type']).toBe('application/json');
    expectError(big, 'AVF_ERR_TOO_LARGE');
    const zstd = await call(port, 'GET', '/checkv2', { body: 'x', headers: { compression: 'zstd', 'content-length': '1' } });
    expect(zstd.status).toBe(415);
    expect(zstd.headers['content-type']).toBe('application/json');
    expectError(zstd, 'AVF_ERR_UNSUPPORTED_ENCODING');
    expect(fleet.accepted).toHaveLength(0);
  });

  it('keeps the other routes\' errors as they were (charset, IP without port)', async () => {
    const { port } = await start();
    const r = await call(port, 'POST', '/scans', { body: MSG, headers: { IP: '127.0.0.1:44294' } });
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expectError(r, 'AVF_ERR_BAD_REQUEST');
  });

  it.each(['/', '/scan', '/checkv3', '//scans', '/healthz/x'])('answers 404 JSON to unknown route %s', async (path) => {
    const { port } = await start();
    const r = await call(port, 'GET', path);
    expect(r.status).toBe(404);
    expectError(r, 'AVF_ERR_NOT_FOUND');
  });
});

describe('a separate metrics listener (serveApi: false)', () => {
  it('serves /metrics and health but not the scan routes', async () => {
    const fleet = fakeFleet();
    const server = buildServer(fleet.deps, { serveMetrics: true, serveApi: false, thresholds: { reject: 15 } });
    const base = await listenEphemeral(server);
    try {
      expect((await call(base, 'GET', '/metrics')).status).toBe(200);
      expect((await call(base, 'GET', '/healthz')).status).toBe(200);
      expect((await call(base, 'POST', '/scans', { body: Buffer.from('Subject: x\r\n\r\nx') })).status).toBe(404);
      expect((await call(base, 'POST', '/checkv2', { body: Buffer.from('Subject: x\r\n\r\nx') })).status).toBe(404);
    } finally {
      await closeServer(server);
    }
  });
});

describe('a huge Deadline on /checkv2 (issue 16, rows 5 and 6)', () => {
  let server: Server | null = null;
  afterEach(async () => {
    if (server) await closeServer(server);
    server = null;
  });

  it('answers Deadline 3e6 by the cap when no worker answers, without a TimeoutOverflowWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => { warnings.push(w); };
    process.on('warning', onWarning);
    try {
      // Workers stopped (nothing finishes); the cap shortened to 1 s so the test need not wait 300 s.
      const fleet = fakeFleet({ finishAfterMs: null, maxWaitSec: 1 });
      server = buildServer(fleet.deps, { serveMetrics: false, thresholds: { reject: 15 } });
      const port = await listenEphemeral(server);
      const started = Date.now();
      const r = await call(port, 'POST', '/checkv2', { body: MSG, headers: { Deadline: '3e6' } });
      expect(r.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(2 * 1000 + 1000);
      expect(fleet.accepted[0].meta.deadlineSec).toBe(1);
      expect(warnings.filter((w) => w.name === 'TimeoutOverflowWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it.each(['-1', 'NaN', 'Infinity', '4e7'])('answers Deadline %s with 400 on /checkv2 and /scans', async (deadline) => {
    const fleet = fakeFleet();
    server = buildServer(fleet.deps, { serveMetrics: false, thresholds: { reject: 15 } });
    const port = await listenEphemeral(server);
    for (const path of ['/checkv2', '/scans']) {
      const r = await call(port, 'POST', path, { body: MSG, headers: { Deadline: deadline } });
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({ error: { code: 'AVF_ERR_BAD_REQUEST' } });
    }
    expect(fleet.accepted).toHaveLength(0);
  });
});

describe('request metadata over its bounds (README "Limits"): cut, the message still scanned', () => {
  let server: Server | null = null;
  afterEach(async () => {
    if (server) await closeServer(server);
    server = null;
  });

  it.each(['/scans', '/checkv2'])('%s: Rcpt past 1000 recipients dropped, a long Helo, Hostname, From, Queue-Id or User cut with the marker', async (path) => {
    const fleet = fakeFleet();
    server = buildServer(fleet.deps, { serveMetrics: false, thresholds: { reject: 15 } });
    const port = await listenEphemeral(server);
    // Within Node's 16 KiB header block: 1100 short recipients in two Rcpt lines, and each other field past its bound.
    const rcpt = Array.from({ length: 1100 }, (_, i) => `${i}@x`);
    const r = await call(port, 'POST', path, {
      body: MSG,
      headers: {
        Rcpt: [rcpt.slice(0, 600).join(','), rcpt.slice(600).join(',')], Helo: 'h'.repeat(400), Hostname: `${'n'.repeat(300)}.example.org`,
        From: `${'f'.repeat(1000)}@example.org`, 'Queue-Id': 'Q'.repeat(200), User: 'u'.repeat(300),
      },
    });
    expect(r.status).toBe(200);
    const meta = fleet.accepted[0].meta;
    expect(meta.rcpt).toEqual(rcpt.slice(0, MAX_RECIPIENTS));
    expect(Buffer.byteLength(meta.helo!)).toBeLessThanOrEqual(MAX_HOST_BYTES);
    expect(Buffer.byteLength(meta.hostname!)).toBeLessThanOrEqual(MAX_HOST_BYTES);
    expect(Buffer.byteLength(meta.from!)).toBeLessThanOrEqual(MAX_ADDRESS_BYTES);
    expect(Buffer.byteLength(meta.queueId!)).toBeLessThanOrEqual(MAX_QUEUE_ID_BYTES);
    expect(Buffer.byteLength(meta.user!)).toBeLessThanOrEqual(MAX_ADDRESS_BYTES);
    for (const v of [meta.helo, meta.hostname, meta.from, meta.queueId, meta.user]) expect(v).toMatch(/…\[\d+ bytes cut\]…/);
  });

  it('a header block over 16 KiB is refused by the HTTP server itself (431), before any of it is kept', async () => {
    const fleet = fakeFleet();
    server = buildServer(fleet.deps, { serveMetrics: false, thresholds: { reject: 15 } });
    const port = await listenEphemeral(server);
    const r = await call(port, 'POST', '/scans', { body: MSG, headers: { Rcpt: Array.from({ length: 2000 }, (_, i) => `r${i}@x.io`).join(',') } });
    expect(r.status).toBe(431);
    expect(fleet.accepted).toHaveLength(0);
  });
});
