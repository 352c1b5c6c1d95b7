import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import { EICAR_TEST_STRING, type ScanResult } from '@avfleet/core';
import { freePort, startFleet, type Fleet } from '../helpers/fleet-processes';
import { startPrivateRedis, type PrivateRedis } from '../helpers/start-redis';
import { startS3rver, type StartedS3rver } from '../helpers/start-s3rver';
import { testServices } from '../helpers/test-services';
import { waitUntil } from '../helpers/wait-until';

/**
 * Redis and object-store outages, for real: the fleet runs against its own
 * redis-server and its own s3rver, which the tests stop and start again. While a
 * service is down, POST /scans answers 503 with a JSON error in bounded time and
 * enqueues nothing; once it is back, scans work again without restarting anything.
 */

jest.setTimeout(150000);

/** The producer bounds each Redis/store step on the request path by 10 s (packages/core/src/intake/within.ts). */
const INTAKE_BOUND_MS = 10000;
const ANSWER_LIMIT_MS = 2 * INTAKE_BOUND_MS + 1000;
const QP = 'avft-outage';

const services = testServices();
const clamd = `${services.clamd.host}:${services.clamd.port}`;
let dir: string;

/** `cachePrefix`: where verdicts are cached (under the fleet's own key prefix on the shared Redis, so that afterAll removes them). */
function writeConfig(cachePrefix = 'outage_cache_'): string {
  const path = join(dir, `antivirus-${cachePrefix.replace(/[^A-Za-z0-9_-]/g, '_')}.conf`);
  writeFileSync(path, `
clamav {
  scan_mime_parts = false;
  symbol = "CLAM_VIRUS";
  action = "reject";
  servers = "${clamd}";
  prefix = "${cachePrefix}";
}
`);
  return path;
}

function message(tag: string, infected = false): Buffer {
  const id = `${tag}-${randomBytes(4).toString('hex')}`;
  return Buffer.from(`From: a@example.org\r\nTo: b@example.org\r\nSubject: outage ${id}\r\nMessage-ID: <${id}@avfleet.test>\r\n\r\n${infected ? EICAR_TEST_STRING : `hello ${id}`}\r\n`, 'latin1');
}

async function post(fleet: Fleet, raw: Buffer, wait = 20): Promise<{ status: number; body: Record<string, unknown>; ms: number; headers: Headers }> {
  const started = Date.now();
  const res = await fetch(`${fleet.apiUrl}/scans?wait=${wait}`, { method: 'POST', body: raw, signal: AbortSignal.timeout(60000) });
  const body = (await res.json()) as Record<string, unknown>;
  return { status: res.status, body, ms: Date.now() - started, headers: res.headers };
}

async function expectDone(fleet: Fleet, raw: Buffer, kind: 'clean' | 'virus'): Promise<ScanResult> {
  const r = await post(fleet, raw);
  if (r.status !== 200) throw new Error(`expected 200, got ${r.status} ${JSON.stringify(r.body)}\n${fleet.logs()}`);
  const result = r.body as unknown as ScanResult;
  expect(result.message_verdicts?.clamav?.kind).toBe(kind);
  return result;
}

function expectUnavailable(r: { status: number; body: Record<string, unknown>; ms: number }): void {
  expect(r.status).toBe(503);
  const err = r.body.error as { code?: string; message?: string } | undefined;
  expect(err?.code).toMatch(/^AVF_ERR_/);
  expect(typeof err?.message).toBe('string');
  expect(r.ms).toBeLessThan(ANSWER_LIMIT_MS);
}

/** Aggregation jobs under a queue prefix (the private Redis's by default): a finished scan's is removed a moment after its answer. */
async function aggregateJobIds(redis: IORedis, qp = QP): Promise<string[]> {
  const keys = await redis.keys(`${qp}:aggregate:*`);
  return keys.map((k) => k.slice(`${qp}:aggregate:`.length)).filter((id) => !/^(id|meta|events|wait|active|completed|failed|delayed|paused|prioritized|marker|stalled-check|waiting-children|stalled|pc|limiter|repeat|de)$/.test(id) && !id.includes(':'));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'avft-outage-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('Redis outage', () => {
  let redisServer: PrivateRedis;
  let fleet: Fleet;
  let redis: IORedis;

  beforeAll(async () => {
    redisServer = await startPrivateRedis();
    redis = new IORedis(redisServer.url, { maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => 200 });
    redis.on('error', () => undefined);
    fleet = await startFleet({
      configPath: writeConfig(),
      env: { AVFLEET_QUEUE_PREFIX: QP, AVFLEET_REDIS_URL: redisServer.url, AVFLEET_STORE: join(dir, 'store-redis'), AVFLEET_CONCURRENCY: '2' },
    });
  });

  afterAll(async () => {
    await fleet?.stop();
    redis?.disconnect();
    await redisServer?.dispose();
  });

  test('503 while Redis is down, nothing enqueued late; scans work again once it is back, without a restart', async () => {
    await expectDone(fleet, message('before'), 'clean');
    await redisServer.stop();

    const down = await post(fleet, message('during'));
    expectUnavailable(down);
    // A second request gets the same clear answer (nothing stuck behind the first).
    expectUnavailable(await post(fleet, message('during-2'), 0));
    // Readiness reports the outage.
    const ready = await fetch(`${fleet.apiUrl}/readyz`, { signal: AbortSignal.timeout(30000) });
    expect(ready.status).toBe(503);
    // Both processes are still alive.
    expect(fleet.producer.exitStatus()).toBeUndefined();
    expect(fleet.worker.exitStatus()).toBeUndefined();

    await redisServer.start(); // empty: no persistence
    await redis.connect();
    // Give the clients time to reconnect and flush whatever they had queued while Redis was down.
    await waitUntil(async () => (await fetch(`${fleet.apiUrl}/readyz`)).status === 200, {
      timeoutMs: 30000, intervalMs: 250, failureMessage: () => `the producer did not become ready after Redis came back\n${fleet.logs()}`,
    });
    await new Promise((r) => setTimeout(r, 3000));
    // No orphan: the requests that got 503 left no job behind in the fresh Redis.
    expect(await aggregateJobIds(redis)).toEqual([]);
    expect(await redis.keys(`${QP}:clamav:[0-9A-Za-z]*.*`)).toEqual([]);
    expect(await redis.keys(`${QP}:scan:*`)).toEqual([]);

    // The same producer and worker scan again; the worker resumed on its own.
    const after = await expectDone(fleet, message('after', true), 'virus');
    expect(after.action).toBe('reject');
    // Its aggregation job and its state are removed once the result is stored (queue-options.ts): the stored result is its only trace.
    // The producer hears of the result as it is stored, a moment before the job completes.
    await waitUntil(async () => (await aggregateJobIds(redis)).length === 0 && (await redis.keys(`${QP}:scan:*`)).length === 0, {
      timeoutMs: 5000, intervalMs: 100, failureMessage: () => `the finished scan's job or state stayed\n${fleet.logs()}`,
    });
    expect(await redis.keys(`${QP}:result:*`)).toEqual([`${QP}:result:${after.id}`]);
  });
});

describe('object store outage (S3)', () => {
  let s3: StartedS3rver;
  let s3Port: number;
  let fleet: Fleet;
  let redis: IORedis;
  const qp = `${QP}-s3-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    s3Port = await freePort();
    s3 = await startS3rver({ dir: join(dir, 's3'), port: s3Port });
    redis = new IORedis(services.redisUrl, { maxRetriesPerRequest: 1 });
    fleet = await startFleet({
      configPath: writeConfig(`${qp}:cache_`),
      env: {
        AVFLEET_QUEUE_PREFIX: qp, AVFLEET_REDIS_URL: services.redisUrl, AVFLEET_STORE: 's3://avft-outage',
        AVFLEET_S3_ENDPOINT: s3.endpoint, AVFLEET_S3_ACCESS_KEY: 'S3RVER', AVFLEET_S3_SECRET_KEY: 'S3RVER', AVFLEET_CONCURRENCY: '2',
      },
    });
  });

  afterAll(async () => {
    await fleet?.stop();
    await s3?.stop();
    if (redis) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${qp}:*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== '0');
      redis.disconnect();
    }
  });

  test('503 while the store is down, no job enqueued; scans work again once it is back', async () => {
    await expectDone(fleet, message('s3-before'), 'clean');
    // The producer hears of the result as it is stored, a moment before its aggregation job completes.
    await waitUntil(async () => (await aggregateJobIds(redis, qp)).length === 0, {
      timeoutMs: 5000, intervalMs: 100, failureMessage: () => `the finished scan's aggregation job stayed\n${fleet.logs()}`,
    });
    const jobsBefore = await redis.keys(`${qp}:aggregate:*`);
    await s3.stop();

    expectUnavailable(await post(fleet, message('s3-during')));
    const ready = await fetch(`${fleet.apiUrl}/readyz`, { signal: AbortSignal.timeout(30000) });
    expect(ready.status).toBe(503);
    expect((await redis.keys(`${qp}:aggregate:*`)).sort()).toEqual(jobsBefore.sort());

    s3 = await startS3rver({ dir: join(dir, 's3'), port: s3Port });
    await waitUntil(async () => (await fetch(`${fleet.apiUrl}/readyz`)).status === 200, {
      timeoutMs: 30000, intervalMs: 250, failureMessage: () => `the producer did not become ready after the store came back\n${fleet.logs()}`,
    });
    await expectDone(fleet, message('s3-after', true), 'virus');
  });
});
