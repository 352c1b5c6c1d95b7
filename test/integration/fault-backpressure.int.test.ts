import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import { freePort, startFleetProcess, type FleetProcess } from '../helpers/fleet-processes';
import { cleanupPrefix, testPrefix, teardownThenDisconnect } from '../helpers/redis-prefix';
import { testServices } from '../helpers/test-services';
import { waitUntil } from '../helpers/wait-until';

/**
 * Back-pressure, for real: a producer with no worker fills its queue; past
 * AVFLEET_MAX_WAITING waiting scan jobs POST /scans answers 429 with Retry-After.
 * Once a worker drains the queue, the producer accepts again.
 */

jest.setTimeout(90000);

const MAX_WAITING = 3;
const services = testServices();
const redis = new IORedis(services.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
const prefix = testPrefix('fault-backpressure.int.test.ts');
const procs: FleetProcess[] = [];
let dir: string;
let configPath: string;

const env = (): Record<string, string> => ({
  AVFLEET_QUEUE_PREFIX: prefix.slice(0, -1), AVFLEET_REDIS_URL: services.redisUrl, AVFLEET_STORE: join(dir, 'store'), AVFLEET_MAX_WAITING: String(MAX_WAITING),
});

function message(): Buffer {
  const tag = randomBytes(6).toString('hex');
  return Buffer.from(`From: a@example.org\r\nTo: b@example.org\r\nSubject: bp ${tag}\r\nMessage-ID: <${tag}@avfleet.test>\r\n\r\nhello ${tag}\r\n`, 'latin1');
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'avft-bp-'));
  configPath = join(dir, 'antivirus.conf');
  writeFileSync(configPath, `clamav {\n  scan_mime_parts = false;\n  symbol = "CLAM_VIRUS";\n  servers = "${services.clamd.host}:${services.clamd.port}";\n  prefix = "${prefix}cache_";\n}\n`);
});

afterAll(() =>
  teardownThenDisconnect(redis, async () => {
    await Promise.all(procs.map((p) => p.stop(3000)));
    await cleanupPrefix(redis, prefix);
    rmSync(dir, { recursive: true, force: true });
  }),
);

test('over AVFLEET_MAX_WAITING waiting jobs: 429 with Retry-After; accepted again once a worker drains the queue', async () => {
  const producer = await startFleetProcess({ role: 'producer', configPath, listen: `127.0.0.1:${await freePort()}`, env: env() });
  procs.push(producer);
  const post = (): Promise<Response> => fetch(`${producer.baseUrl}/scans?wait=0`, { method: 'POST', body: message() });

  const accepted: string[] = [];
  for (let i = 0; i <= MAX_WAITING; i++) {
    const res = await post();
    expect(res.status).toBe(202);
    accepted.push(((await res.json()) as { id: string }).id);
    // The producer reads the queue depth at most every 500 ms: let each count be seen.
    await new Promise((r) => setTimeout(r, 600));
  }
  expect(await redis.llen(`${prefix.slice(0, -1)}:clamav:wait`)).toBe(MAX_WAITING + 1);

  const full = await post();
  expect(full.status).toBe(429);
  const retryAfter = Number(full.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
  const body = (await full.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe('AVF_ERR_QUEUE_FULL');
  expect(body.error.message).toMatch(/AVFLEET_MAX_WAITING/);
  // The refused message left no job behind.
  expect(await redis.llen(`${prefix.slice(0, -1)}:clamav:wait`)).toBe(MAX_WAITING + 1);

  const worker = await startFleetProcess({ role: 'worker', configPath, listen: `127.0.0.1:${await freePort()}`, env: env() });
  procs.push(worker);
  await waitUntil(async () => {
    const states = await Promise.all(accepted.map(async (id) => ((await (await fetch(`${producer.baseUrl}/scans/${id}`)).json()) as { state: string }).state));
    return states.every((s) => s === 'done');
  }, { timeoutMs: 30000, intervalMs: 250, failureMessage: () => `the worker did not drain the queue\n${worker.logs()}` });
  await new Promise((r) => setTimeout(r, 600));
  const again = await post();
  expect(again.status).toBe(202);
});
