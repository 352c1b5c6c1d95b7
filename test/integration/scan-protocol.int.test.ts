import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import IORedis from 'ioredis';
import { FlowProducer, Queue } from 'bullmq';
import {
  AGGREGATE_QUEUE, EMPTY_META, ResultStore, ResultWaiter, ScanStateStore, createPartCompleter, createScanCanceller, enqueueAggregation, createScanEnqueuer, newScanId,
  EICAR_TEST_STRING, oldestPendingScanMs, resultChannel, scanJobId, scanStateKey, type AggregateJobData, type ScanJobData, type ScanJobResult, type ScanResult,
} from '@avfleet/core';
import { freePort, startFleetProcess, type FleetProcess } from '../helpers/fleet-processes';
import { cleanupPrefix, testPrefix, teardownThenDisconnect } from '../helpers/redis-prefix';
import { testServices } from '../helpers/test-services';
import { startSlowClamd, SIM_EICAR_NAME, type SlowClamd } from '../simulators/slow-clamd';

/**
 * The job protocol against a real Redis (docs/architecture.md, queue/): a scan's state and
 * countdown, the aggregation job added once by whoever records the last part (also when a
 * killed worker's part job runs again), the result published to the waiting producer, a
 * cancelled scan's waiting part jobs removed, the oldest scan in progress found by its state.
 */

const services = testServices();
const prefix = testPrefix('scan-protocol.int.test.ts');
const QP = prefix.slice(0, -1);
/** A prefix of its own for the oldest-scan test: the other tests leave scans in progress. */
const oldestPrefix = testPrefix('scan-protocol-oldest');
const redis = new IORedis(services.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
const bull = { host: new URL(services.redisUrl).hostname, port: Number(new URL(services.redisUrl).port || 6379), maxRetriesPerRequest: null };
const queues: Queue[] = [];

function queue(name: string): Queue {
  const q = new Queue(name, { connection: bull, prefix: QP });
  queues.push(q);
  return q;
}

afterAll(() =>
  teardownThenDisconnect(redis, async () => {
    await Promise.all(queues.map((q) => q.close()));
    await cleanupPrefix(redis, prefix);
    await cleanupPrefix(redis, oldestPrefix);
  }),
);

function scan(parts: number, at = Date.now()): { job: AggregateJobData; parts: ScanJobData[] } {
  const scanId = newScanId(at);
  const list = Array.from({ length: parts }, (_, i): ScanJobData => ({
    v: 1, scanId, rule: 'clamav', partIndex: String(i + 1), key: `parts/${i}`, sha256: String(i).repeat(64).slice(0, 64), size: 10,
    filename: null, contentType: null, substituteEicar: false, configDigest: 'd', deadlineMs: null,
  }));
  return {
    job: {
      v: 1, scanId, configDigest: 'd', receivedAt: at, messageKey: 'm', meta: EMPTY_META, parts: [], skipped: {},
      expected: list.map((p) => ({ rule: p.rule, partIndex: p.partIndex })), preResolved: [],
    },
    parts: list,
  };
}

const verdict = (p: ScanJobData, kind: 'clean' | 'virus' = 'clean'): ScanJobResult => ({
  rule: p.rule, partIndex: p.partIndex, verdict: kind === 'clean' ? { kind } : { kind, names: ['X'] }, cached: false, ms: 1,
});

beforeAll(async () => {
  await redis.connect();
});

test('the last part adds the aggregation job once, also when a killed worker records its part again, and the state holds every verdict', async () => {
  const state = new ScanStateStore(redis, QP);
  const aggregate = queue(AGGREGATE_QUEUE);
  const { job, parts } = scan(3);
  await createScanEnqueuer(state, () => queue('clamav'))(job, parts);
  expect(await queue('clamav').getJobCountByTypes('wait')).toBe(3);
  const ids = (await queue('clamav').getJobs(['wait'])).map((j) => j.id).sort();
  expect(ids).toEqual(parts.map((p) => scanJobId(job.scanId, p.rule, p.partIndex)).sort());
  const complete = createPartCompleter(state, enqueueAggregation(aggregate));
  expect(await state.progress(job.scanId)).toBe('queued');
  expect(await complete(parts[0], verdict(parts[0]))).toBe(false);
  expect(await state.progress(job.scanId)).toBe('running');
  // The same part again (its job ran again after its worker was killed): counted once, its first verdict kept.
  expect(await complete(parts[0], verdict(parts[0], 'virus'))).toBe(false);
  expect(await complete(parts[1], verdict(parts[1]))).toBe(false);
  expect(await aggregate.getJobCountByTypes('wait')).toBe(0);
  expect(await complete(parts[2], verdict(parts[2], 'virus'))).toBe(true);
  // The last part's worker was killed before its job completed: its retry adds the same aggregation job, which BullMQ keeps once.
  expect(await complete(parts[2], verdict(parts[2], 'virus'))).toBe(true);
  expect(await aggregate.getJobCountByTypes('wait')).toBe(1);
  expect((await aggregate.getJob(job.scanId))?.data).toEqual({ v: 1, scanId: job.scanId });
  const read = await state.read(job.scanId);
  expect(read?.data).toEqual(job);
  expect([...(read?.results ?? [])].sort((a, b) => String(a.partIndex).localeCompare(String(b.partIndex)))).toEqual([
    verdict(parts[0]), verdict(parts[1]), verdict(parts[2], 'virus'),
  ]);
});

test('one round trip each (D62): state and jobs sent together, the last record returns the scan, the result save removes it', async () => {
  const state = new ScanStateStore(redis, QP);
  const results = new ResultStore(redis, QP, 60);
  const { job, parts } = scan(2);
  await createScanEnqueuer(state, () => queue('clamav-in-order'), { inOrder: () => true })(job, parts);
  expect(await queue('clamav-in-order').getJobCountByTypes('wait')).toBe(2);
  expect(await state.progress(job.scanId)).toBe('queued');
  expect(await state.recordAndRead(job.scanId, verdict(parts[0]))).toEqual({ left: 1 });
  const last = await state.recordAndRead(job.scanId, verdict(parts[1], 'virus'));
  expect(last.left).toBe(0);
  expect(last.scan?.data).toEqual(job);
  expect([...(last.scan?.results ?? [])].sort((a, b) => String(a.partIndex).localeCompare(String(b.partIndex)))).toEqual([verdict(parts[0]), verdict(parts[1], 'virus')]);
  // A retry of the last part (its worker killed before its job completed) reads the scan again.
  expect((await state.recordAndRead(job.scanId, verdict(parts[1], 'virus'))).scan?.data).toEqual(job);
  const result: ScanResult = {
    id: job.scanId, state: 'done', action: 'reject', score: 0, required_score: 15, symbols: {}, message: null, parts: [], skipped: {}, queue_id: null, elapsed_ms: 1,
  };
  expect(await results.saveOnce(result, '', state.keyOf(job.scanId))).toBe(true);
  expect(await redis.exists(scanStateKey(QP, job.scanId))).toBe(0);
  expect(await results.load(job.scanId)).toEqual(result);
  // A re-run finds the answer saved: nothing replaced, and a state written again meanwhile is removed too.
  await state.open(job);
  expect(await results.saveOnce({ ...result, action: 'no action' }, '', state.keyOf(job.scanId))).toBe(false);
  expect(await redis.exists(scanStateKey(QP, job.scanId))).toBe(0);
  expect(await results.load(job.scanId)).toEqual(result);
});

test('a part finishing after its scan was aggregated or cancelled triggers nothing and leaves no key', async () => {
  const state = new ScanStateStore(redis, QP);
  const { job, parts } = scan(1);
  await state.open(job);
  await state.drop(job.scanId);
  expect(await state.record(job.scanId, verdict(parts[0]))).toBe(-1);
  expect(await redis.exists(scanStateKey(QP, job.scanId))).toBe(0);
  expect(await state.read(job.scanId)).toBeNull();
  expect(await state.progress(job.scanId)).toBeNull();
});

test('a saved result is published on the waiting producer\'s channel, and the waiter answers with it', async () => {
  const results = new ResultStore(redis, QP, 60);
  const subscriber = redis.duplicate();
  const channel = resultChannel(QP, 'producer-1');
  const waiter = new ResultWaiter(subscriber, channel, results);
  try {
    await waiter.start();
    const id = newScanId();
    const result: ScanResult = {
      id, state: 'done', action: 'no action', score: 0, required_score: 15, symbols: {}, message: null, parts: [], skipped: {}, queue_id: null, elapsed_ms: 1,
    };
    const waiting = waiter.wait(id, 10_000);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    expect(await results.saveOnce(result, channel)).toBe(true);
    await expect(waiting).resolves.toEqual(result);
    expect(Date.now() - t0).toBeLessThan(2 * 100 + 1000);
    // A cancelled scan's result is neither saved nor published: the waiter runs out.
    const cancelled = newScanId();
    await results.cancel(cancelled);
    const waitingCancelled = waiter.wait(cancelled, 300);
    expect(await results.saveOnce({ ...result, id: cancelled }, channel)).toBe(false);
    await expect(waitingCancelled).resolves.toBeNull();
  } finally {
    await waiter.close();
    subscriber.disconnect();
  }
});

test('cancelling a refused scan removes its waiting part jobs and its state, and stores no result', async () => {
  const state = new ScanStateStore(redis, QP);
  const results = new ResultStore(redis, QP, 60);
  const clamav = queue('clamav-cancel');
  const { job, parts } = scan(3);
  await createScanEnqueuer(state, () => clamav)({ ...job }, parts.map((p) => ({ ...p, rule: 'clamav-cancel' })));
  const other = scan(1);
  await createScanEnqueuer(state, () => clamav)(other.job, other.parts.map((p) => ({ ...p, rule: 'clamav-cancel' })));
  expect(await clamav.getJobCountByTypes('wait')).toBe(4);
  const cancel = createScanCanceller(results, state, (name) => (name === 'clamav-cancel' ? [clamav] : []));
  await cancel(job.scanId, parts.map((p) => ({ rule: 'clamav-cancel', partIndex: p.partIndex })));
  // Only the other scan's part is left to scan.
  expect((await clamav.getJobs(['wait'])).map((j) => j.data.scanId)).toEqual([other.job.scanId]);
  expect(await redis.exists(scanStateKey(QP, job.scanId))).toBe(0);
  expect(await results.saveOnce({
    id: job.scanId, state: 'done', action: 'no action', score: 0, required_score: 15, symbols: {}, message: null, parts: [], skipped: {}, queue_id: null, elapsed_ms: 1,
  })).toBe(false);
  expect(await results.load(job.scanId)).toBeNull();
});

test('the oldest scan in progress is the oldest state left', async () => {
  const own = oldestPrefix.slice(0, -1);
  const states = new ScanStateStore(redis, own);
  expect(await oldestPendingScanMs(redis, own)).toBeNull();
  const t = Date.parse('2026-11-01T10:00:00Z');
  const older = scan(1, t);
  await states.open(older.job);
  await states.open(scan(1, t + 60_000).job);
  expect(await oldestPendingScanMs(redis, own)).toBe(t);
  await states.drop(older.job.scanId);
  expect(await oldestPendingScanMs(redis, own)).toBe(t + 60_000);
});

describe('workers split by queue', () => {
  const splitPrefix = testPrefix('scan-protocol-split');
  const procs: FleetProcess[] = [];
  let sim: SlowClamd;
  let dir: string;

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop(2000)));
    await sim?.close();
    await cleanupPrefix(redis, splitPrefix);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a scan worker without aggregate hands the last part to the aggregation job, which a worker serving only aggregate runs', async () => {
    sim = await startSlowClamd({ delayMs: 10 });
    dir = mkdtempSync(join(tmpdir(), 'avft-split-'));
    const configPath = join(dir, 'antivirus.conf');
    writeFileSync(configPath, `clamav {\n  scan_mime_parts = false;\n  symbol = "CLAM_VIRUS";\n  action = "reject";\n  servers = "127.0.0.1:${sim.port}";\n  prefix = "${splitPrefix}cache_";\n}\n`);
    const env = { AVFLEET_QUEUE_PREFIX: splitPrefix.slice(0, -1), AVFLEET_REDIS_URL: services.redisUrl, AVFLEET_STORE: join(dir, 'store') };
    const start = async (role: 'producer' | 'worker', queues?: string): Promise<FleetProcess> => {
      const p = await startFleetProcess({ role, configPath, listen: `127.0.0.1:${await freePort()}`, env: { ...env, ...(queues ? { AVFLEET_QUEUES: queues } : {}) } });
      procs.push(p);
      return p;
    };
    const scanWorker = await start('worker', 'clamav');
    const aggregateWorker = await start('worker', 'aggregate');
    const producer = await start('producer');
    const raw = Buffer.from(`From: a@example.org\r\nTo: b@example.org\r\nSubject: split\r\n\r\n${EICAR_TEST_STRING}\r\n`, 'latin1');
    const res = await fetch(`${producer.baseUrl}/scans?wait=20`, { method: 'POST', body: raw });
    const body = (await res.json()) as ScanResult;
    expect({ status: res.status, action: body.action }).toEqual({ status: 200, action: 'reject' });
    expect(body.message_verdicts?.clamav).toMatchObject({ kind: 'virus', names: [SIM_EICAR_NAME] });
    // The aggregation ran in the worker serving aggregate (its log line of the finished scan), not in the scan worker.
    await new Promise((r) => setTimeout(r, 200));
    expect(aggregateWorker.logs()).toContain(body.id);
    expect(scanWorker.logs()).not.toContain('message scanned');
  });

  test('a flow added by a producer from before the job protocol (a rolling upgrade, workers first) still ends with its result', async () => {
    const qp = splitPrefix.slice(0, -1);
    const flows = new FlowProducer({ connection: bull, prefix: qp });
    try {
      const made = scan(1);
      // Whole-message mode (the rule's scan_mime_parts = false); the EICAR test string stands in for the stored bytes.
      const job: AggregateJobData = { ...made.job, expected: [{ rule: 'clamav', partIndex: null }] };
      const part: ScanJobData = { ...made.parts[0], partIndex: null, substituteEicar: true };
      // The old protocol: the aggregation input as the parent's data, the part's verdict as the child's return value.
      await flows.add({
        name: 'aggregate', queueName: AGGREGATE_QUEUE, data: job, opts: { jobId: job.scanId, removeOnComplete: true },
        children: [{ name: 'scan', queueName: 'clamav', data: part, opts: { jobId: scanJobId(job.scanId, 'clamav', null), removeOnComplete: true } }],
      });
      const results = new ResultStore(redis, qp, 60);
      const deadline = Date.now() + 2 * 5000 + 1000;
      let stored: ScanResult | null = null;
      while (!stored && Date.now() < deadline) {
        stored = await results.load(job.scanId);
        if (!stored) await new Promise((r) => setTimeout(r, 100));
      }
      expect(stored?.action).toBe('reject');
      expect(stored?.message_verdicts?.clamav).toMatchObject({ kind: 'virus', names: [SIM_EICAR_NAME] });
    } finally {
      await flows.close();
    }
  });
});
