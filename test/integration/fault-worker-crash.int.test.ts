import { rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import { loadAntivirusConfig } from '@avfleet/config';
import {
  EICAR_TEST_STRING, EMPTY_META, NOOP_LOGGER, ResultStore, createAggregator, createFleetMetrics, resultKey,
  type AggregateJobData, type ParentJob, type ScanJobResult, type ScanResult,
} from '@avfleet/core';
import { Registry } from 'prom-client';
import { freePort, startFleetProcess, type FleetProcess } from '../helpers/fleet-processes';
import { cleanupPrefix, testPrefix, teardownThenDisconnect } from '../helpers/redis-prefix';
import { testServices } from '../helpers/test-services';
import { waitUntil } from '../helpers/wait-until';
import { startSlowClamd, SIM_EICAR_NAME, type SlowClamd } from '../simulators/slow-clamd';

/**
 * Worker crash, for real: a worker process holding scan jobs (a slow clamd keeps them
 * busy) is killed with SIGKILL. BullMQ's stalled-job check (AVFLEET_STALLED_INTERVAL,
 * shortened here) hands its jobs to another worker process; every message still ends
 * with the right verdict, none is lost, none has two different answers.
 */

jest.setTimeout(120000);

const STALLED_MS = 1500;
const SCAN_DELAY_MS = 2500;
const services = testServices();
const redis = new IORedis(services.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
const prefix = testPrefix('fault-worker-crash.int.test.ts');
const queuePrefix = prefix.slice(0, -1);
const procs: FleetProcess[] = [];
let sim: SlowClamd;
let dir: string;
let configPath: string;

function env(): Record<string, string> {
  return {
    AVFLEET_QUEUE_PREFIX: queuePrefix,
    AVFLEET_REDIS_URL: services.redisUrl,
    AVFLEET_STORE: join(dir, 'store'),
    AVFLEET_CONCURRENCY: '4',
    AVFLEET_STALLED_INTERVAL: String(STALLED_MS / 1000),
  };
}

async function start(role: 'producer' | 'worker'): Promise<FleetProcess> {
  const p = await startFleetProcess({ role, configPath, listen: `127.0.0.1:${await freePort()}`, env: env() });
  procs.push(p);
  return p;
}

function message(i: number, infected: boolean): Buffer {
  const tag = `${i}-${randomBytes(4).toString('hex')}`;
  const body = infected ? EICAR_TEST_STRING : `Plain text number ${tag}.`;
  return Buffer.from(`From: a@example.org\r\nTo: b@example.org\r\nSubject: crash ${tag}\r\nMessage-ID: <${tag}@avfleet.test>\r\n\r\n${body}\r\n`, 'latin1');
}

beforeAll(async () => {
  sim = await startSlowClamd({ delayMs: SCAN_DELAY_MS });
  dir = mkdtempSync(join(tmpdir(), 'avft-crash-'));
  configPath = join(dir, 'antivirus.conf');
  writeFileSync(configPath, `
clamav {
  scan_mime_parts = false;
  symbol = "CLAM_VIRUS";
  action = "reject";
  servers = "127.0.0.1:${sim.port}";
  timeout = 20;
  retransmits = 0;
  prefix = "${prefix}cache_";
}
`);
});

afterAll(() =>
  teardownThenDisconnect(redis, async () => {
    await Promise.all(procs.map((p) => p.stop(2000)));
    await sim?.close();
    await cleanupPrefix(redis, prefix);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }),
);

const logs = (): string => procs.map((p) => `--- ${p.role} ${p.pid} (${p.exitStatus() ?? 'running'}) ---\n${p.logs().slice(-3000)}`).join('\n');

test('SIGKILL on a worker holding scan jobs: another worker finishes every message with the right verdict', async () => {
  const victim = await start('worker');
  const producer = await start('producer');
  const infected = [true, false, true, false, true, false];
  const ids: string[] = [];
  for (const [i, bad] of infected.entries()) {
    const res = await fetch(`${producer.baseUrl}/scans?wait=0`, { method: 'POST', body: message(i, bad) });
    expect(res.status).toBe(202);
    ids.push(((await res.json()) as { id: string }).id);
  }
  // The victim (concurrency 4) now holds four scans in the slow scanner.
  await waitUntil(async () => sim.pending >= 4, { timeoutMs: 15000, failureMessage: () => `the worker never held 4 scans (pending ${sim.pending})\n${logs()}` });
  const streamsBeforeKill = sim.streams;
  process.kill(victim.pid, 'SIGKILL');
  await waitUntil(async () => victim.exitStatus() !== undefined, { timeoutMs: 5000, failureMessage: () => 'the killed worker did not exit' });
  expect(victim.exitStatus()).toBe('SIGKILL');

  await start('worker');
  const results = new Map<string, ScanResult>();
  await waitUntil(
    async () => {
      for (const id of ids) {
        if (results.has(id)) continue;
        const res = await fetch(`${producer.baseUrl}/scans/${id}`);
        const body = (await res.json()) as ScanResult;
        if (res.status === 200 && body.state === 'done') results.set(id, body);
      }
      return results.size === ids.length;
    },
    { timeoutMs: 60000, intervalMs: 250, failureMessage: () => `only ${results.size}/${ids.length} messages finished after the crash\n${logs()}` },
  );
  for (const [i, id] of ids.entries()) {
    const r = results.get(id)!;
    const v = r.message_verdicts?.clamav;
    if (infected[i]) {
      expect(v).toMatchObject({ kind: 'virus', names: [SIM_EICAR_NAME] });
      expect(r.action).toBe('reject');
      expect(r.symbols).toHaveProperty('CLAM_VIRUS');
    } else {
      expect(v).toMatchObject({ kind: 'clean' });
      expect(r.action).toBe('no action');
    }
  }
  // The held scans really ran again (they were not answered by the dead worker).
  expect(sim.streams).toBeGreaterThanOrEqual(streamsBeforeKill + 4);
  // Nothing failed for good, nothing is left behind in any queue.
  for (const q of ['clamav', 'aggregate']) {
    const failed = await redis.zcard(`${queuePrefix}:${q}:failed`);
    const waiting = await redis.llen(`${queuePrefix}:${q}:wait`);
    const active = await redis.llen(`${queuePrefix}:${q}:active`);
    expect({ q, failed, waiting, active }).toEqual({ q, failed: 0, waiting: 0, active: 0 });
  }
  // One answer per message: each stored result equals what GET returned (read again now).
  for (const id of ids) {
    const stored = JSON.parse((await redis.get(resultKey(queuePrefix, id))) ?? 'null') as ScanResult | null;
    expect(stored).toEqual(results.get(id));
  }
});

test('aggregation is idempotent: a parent job that runs twice keeps its first answer', async () => {
  const config = loadAntivirusConfig(configPath);
  const results = new ResultStore(redis, queuePrefix, 600);
  const aggregator = createAggregator({
    context: { rules: config.rules, symbolScores: config.symbolScores, thresholds: { reject: 15, 'add header': 6, greylist: 4 }, whitelists: new Map() },
    results,
    metrics: createFleetMetrics(new Registry()),
    logger: NOOP_LOGGER,
  });
  const processor = (job: ParentJob): Promise<ScanResult> => aggregator.aggregate(job);
  const scanId = `idem-${randomBytes(6).toString('hex')}`;
  const data: AggregateJobData = {
    v: 1, scanId, configDigest: config.digest, receivedAt: Date.now(), messageKey: 'x', meta: EMPTY_META, parts: [], skipped: {},
    expected: [{ rule: 'clamav', partIndex: null }], preResolved: [],
  };
  let childValues: Record<string, ScanJobResult> = {
    a: { rule: 'clamav', partIndex: null, verdict: { kind: 'virus', names: ['First'] }, cached: false, ms: 5 },
  };
  const job = {
    data,
    getChildrenValues: async () => childValues,
    getIgnoredChildrenFailures: async () => ({}),
  } as unknown as ParentJob;
  const first = await processor(job);
  // The second run sees different child values (a re-run scan with another answer): the first answer stands.
  childValues = { a: { rule: 'clamav', partIndex: null, verdict: { kind: 'clean' }, cached: false, ms: 5 } };
  const second = await processor(job);
  expect(second).toEqual(first);
  expect(first.action).toBe('reject');
  const stored = await results.load(scanId);
  expect(stored?.message_verdicts?.clamav).toMatchObject({ kind: 'virus', names: ['First'] });
});
