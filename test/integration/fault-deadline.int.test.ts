import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import { EICAR_TEST_STRING, type ScanResult } from '@avfleet/core';
import { startFleet, type Fleet } from '../helpers/fleet-processes';
import { cleanupPrefix, testPrefix, teardownThenDisconnect } from '../helpers/redis-prefix';
import { testServices } from '../helpers/test-services';
import { waitUntil } from '../helpers/wait-until';
import { SIM_EICAR_NAME, startSlowClamd, type SlowClamd } from '../simulators/slow-clamd';

/**
 * Deadlines, for real: a `Deadline` header shorter than a slow scanner's answer.
 * The producer answers by the deadline with what it has (the fast rule's verdict),
 * the slow rule as a fail verdict with reason `deadline`; the slow scan still
 * finishes and its verdict lands in the cache, so the next scan of the same bytes
 * is answered from the cache.
 */

jest.setTimeout(90000);

const DEADLINE_SEC = 1.5;
const SLOW_MS = 4000;
const services = testServices();
const redis = new IORedis(services.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
const prefix = testPrefix('fault-deadline.int.test.ts');
let dir: string;
let sim: SlowClamd;
let fleet: Fleet;

beforeAll(async () => {
  sim = await startSlowClamd({ delayMs: SLOW_MS });
  dir = mkdtempSync(join(tmpdir(), 'avft-deadline-'));
  const configPath = join(dir, 'antivirus.conf');
  writeFileSync(configPath, `
clamav {
  scan_mime_parts = false;
  symbol = "CLAM_VIRUS";
  action = "reject";
  servers = "${services.clamd.host}:${services.clamd.port}";
  prefix = "${prefix}fast_";
}
slow {
  type = "clamav";
  scan_mime_parts = false;
  symbol = "SLOW_VIRUS";
  symbol_fail = "SLOW_FAIL";
  servers = "127.0.0.1:${sim.port}";
  timeout = 20;
  prefix = "${prefix}slow_";
}
`);
  fleet = await startFleet({
    configPath,
    env: { AVFLEET_QUEUE_PREFIX: prefix.slice(0, -1), AVFLEET_REDIS_URL: services.redisUrl, AVFLEET_STORE: join(dir, 'store'), AVFLEET_CONCURRENCY: '4' },
  });
});

afterAll(() =>
  teardownThenDisconnect(redis, async () => {
    await fleet?.stop();
    await sim?.close();
    await cleanupPrefix(redis, prefix);
    rmSync(dir, { recursive: true, force: true });
  }),
);

test('Deadline: answered by then, the slow rule as fail/deadline; the late verdict lands in the cache', async () => {
  const tag = randomBytes(6).toString('hex');
  const raw = Buffer.from(`From: a@example.org\r\nTo: b@example.org\r\nSubject: deadline ${tag}\r\nMessage-ID: <${tag}@avfleet.test>\r\n\r\n${EICAR_TEST_STRING}\r\n`, 'latin1');
  const started = Date.now();
  const res = await fetch(`${fleet.apiUrl}/scans?wait=30`, { method: 'POST', body: raw, headers: { Deadline: String(DEADLINE_SEC) } });
  const elapsed = Date.now() - started;
  const result = (await res.json()) as ScanResult;
  expect(res.status).toBe(200);
  expect(elapsed).toBeLessThan(2 * DEADLINE_SEC * 1000 + 1000);
  expect(result.message_verdicts?.clamav).toMatchObject({ kind: 'virus' });
  expect(result.message_verdicts?.slow).toMatchObject({ kind: 'fail', reason: 'deadline' });
  expect(result.symbols).toHaveProperty('SLOW_FAIL');
  expect(result.symbols).toHaveProperty('CLAM_VIRUS');
  expect(result.action).toBe('reject');

  // The slow scan goes on; once it has answered, its verdict is cached.
  await waitUntil(async () => (await redis.keys(`${prefix}slow_*`)).length > 0, {
    timeoutMs: SLOW_MS * 2 + 5000, intervalMs: 200, failureMessage: () => `the late verdict never reached the cache\n${fleet.logs()}`,
  });
  const streams = sim.streams;
  const again = await fetch(`${fleet.apiUrl}/scans?wait=30`, { method: 'POST', body: raw });
  const second = (await again.json()) as ScanResult;
  expect(again.status).toBe(200);
  expect(second.message_verdicts?.slow).toMatchObject({ kind: 'virus', names: [SIM_EICAR_NAME], cached: true });
  expect(sim.streams).toBe(streams);
});
