import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import { EICAR_TEST_STRING, type ScanResult } from '@avfleet/core';
import { freePort, startFleetProcess, type FleetProcess } from '../helpers/fleet-processes';
import { cleanupPrefix, testPrefix, teardownThenDisconnect } from '../helpers/redis-prefix';
import { testServices } from '../helpers/test-services';
import { waitUntil } from '../helpers/wait-until';
import { startSlowClamd, type SlowClamd } from '../simulators/slow-clamd';

/**
 * Graceful shutdown, for real: SIGTERM to a worker process that holds scan jobs lets
 * them finish (no job is lost or scanned twice) and the process exits 0; SIGTERM to a
 * producer stops new connections, answers the request in flight, then exits 0.
 */

jest.setTimeout(120000);

const SCAN_DELAY_MS = 2500;
const services = testServices();
const redis = new IORedis(services.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
const prefix = testPrefix('fault-shutdown.int.test.ts');
const procs: FleetProcess[] = [];
let sim: SlowClamd;
let dir: string;
let configPath: string;

const env = (): Record<string, string> => ({
  AVFLEET_QUEUE_PREFIX: prefix.slice(0, -1), AVFLEET_REDIS_URL: services.redisUrl, AVFLEET_STORE: join(dir, 'store'), AVFLEET_CONCURRENCY: '4',
});

async function start(role: 'producer' | 'worker'): Promise<FleetProcess> {
  const p = await startFleetProcess({ role, configPath, listen: `127.0.0.1:${await freePort()}`, env: env() });
  procs.push(p);
  return p;
}

function message(infected: boolean): Buffer {
  const tag = randomBytes(6).toString('hex');
  return Buffer.from(`From: a@example.org\r\nTo: b@example.org\r\nSubject: shutdown ${tag}\r\nMessage-ID: <${tag}@avfleet.test>\r\n\r\n${infected ? EICAR_TEST_STRING : `hi ${tag}`}\r\n`, 'latin1');
}

const exited = (p: FleetProcess, ms: number): Promise<void> =>
  waitUntil(async () => p.exitStatus() !== undefined, { timeoutMs: ms, intervalMs: 50, failureMessage: () => `${p.role} ${p.pid} did not exit within ${ms} ms\n${p.logs().slice(-3000)}` });

beforeAll(async () => {
  sim = await startSlowClamd({ delayMs: SCAN_DELAY_MS });
  dir = mkdtempSync(join(tmpdir(), 'avft-shutdown-'));
  configPath = join(dir, 'antivirus.conf');
  writeFileSync(configPath, `clamav {\n  scan_mime_parts = false;\n  symbol = "CLAM_VIRUS";\n  action = "reject";\n  servers = "127.0.0.1:${sim.port}";\n  timeout = 20;\n  prefix = "${prefix}cache_";\n}\n`);
});

afterAll(() =>
  teardownThenDisconnect(redis, async () => {
    await Promise.all(procs.map((p) => p.stop(2000)));
    await sim?.close();
    await cleanupPrefix(redis, prefix);
    rmSync(dir, { recursive: true, force: true });
  }),
);

test('SIGTERM on a worker: its active scans finish, it exits 0, the next worker completes the messages without scanning again', async () => {
  const worker = await start('worker');
  const producer = await start('producer');
  const ids: string[] = [];
  for (const bad of [true, false, true]) {
    const res = await fetch(`${producer.baseUrl}/scans?wait=0`, { method: 'POST', body: message(bad) });
    expect(res.status).toBe(202);
    ids.push(((await res.json()) as { id: string }).id);
  }
  await waitUntil(async () => sim.pending >= 3, { timeoutMs: 15000, failureMessage: () => `the worker never held 3 scans\n${worker.logs()}` });
  const streams = sim.streams;
  process.kill(worker.pid, 'SIGTERM');
  // It waits for its scans (2.5 s), then exits; bound 2 × 2.5 s + 1 s plus 5 s for closing connections.
  await exited(worker, 2 * SCAN_DELAY_MS + 1000 + 5000);
  expect(worker.exitStatus()).toBe('exit code 0');
  // Its scans finished; the aggregation steps that became due while it was closing were left
  // in the queue (handed back): the next worker aggregates them without scanning anything again.
  await start('worker');
  await waitUntil(
    async () => {
      const states = await Promise.all(ids.map(async (id) => ((await (await fetch(`${producer.baseUrl}/scans/${id}`)).json()) as ScanResult).state));
      return states.every((s) => s === 'done');
    },
    { timeoutMs: 20000, intervalMs: 200, failureMessage: () => `not every message finished after the restart\n${producer.logs().slice(-2000)}` },
  );
  for (const [i, id] of ids.entries()) {
    const r = (await (await fetch(`${producer.baseUrl}/scans/${id}`)).json()) as ScanResult;
    expect(r.message_verdicts?.clamav?.kind).toBe(i === 1 ? 'clean' : 'virus');
  }
  expect(sim.streams).toBe(streams);
  await producer.stop();
});

test('SIGTERM on a producer: no new connections, the request in flight is answered, then it exits 0', async () => {
  const worker = await start('worker');
  const producer = await start('producer');
  const inFlight = fetch(`${producer.baseUrl}/scans?wait=30`, { method: 'POST', body: message(true) });
  await waitUntil(async () => sim.pending >= 1, { timeoutMs: 15000, failureMessage: () => `the scan never reached the scanner\n${worker.logs()}` });
  process.kill(producer.pid, 'SIGTERM');
  // New connections are refused while the old request is still being served.
  await waitUntil(
    async () => {
      try {
        await fetch(`${producer.baseUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
        return false;
      } catch {
        return true;
      }
    },
    { timeoutMs: 2000, intervalMs: 50, failureMessage: () => `the producer still accepted connections after SIGTERM\n${producer.logs()}` },
  );
  expect(producer.exitStatus()).toBeUndefined();
  const res = await inFlight;
  expect(res.status).toBe(200);
  const result = (await res.json()) as ScanResult;
  expect(result.state).toBe('done');
  expect(result.action).toBe('reject');
  await exited(producer, 2 * 2000 + 1000);
  expect(producer.exitStatus()).toBe('exit code 0');
  await worker.stop();
});
