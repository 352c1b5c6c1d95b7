import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { buildAntivirusConfig, parseUcl } from '@avfleet/config';
import { EMPTY_META, NOOP_LOGGER, ResultStore, createFleetMetrics, type AggregateJobData, type ScanJobResult, type ScanResult } from '../index';
import { createAggregationJob, createAggregator, type ParentJob } from './aggregate-job';

const config = buildAntivirusConfig(parseUcl(`clamav {
  symbol = "CLAM_VIRUS";
  action = "reject";
  servers = "127.0.0.1:3310";
}`, { filename: 'antivirus.conf' }).value);

/** Redis GET, SET … EX … [NX] and ResultStore's script over a map. */
class MemoryRedis {
  readonly values = new Map<string, string>();
  async get(key: string): Promise<string | null> {
    return this.values.get(key) ?? null;
  }
  async set(key: string, value: string, ...args: (string | number)[]): Promise<'OK' | null> {
    if (args.includes('NX') && this.values.has(key)) return null;
    this.values.set(key, value);
    return 'OK';
  }
  readonly published: [string, string][] = [];
  /** Scripts are not cached here: the first EVALSHA of a fresh Redis. */
  async evalsha(): Promise<never> {
    throw new Error('NOSCRIPT No matching script. Please use EVAL.');
  }
  /** ResultStore's save-unless-cancelled script: KEYS result, cancel mark; ARGV value, ttl, mode, channel. */
  async eval(_script: string, _keys: number, key: string, cancelled: string, value: string, _ttl: string, mode: string, channel: string): Promise<number> {
    if (this.values.has(cancelled)) return 0;
    if (mode === 'NX' && this.values.has(key)) return 0;
    this.values.set(key, value);
    if (channel) this.published.push([channel, value]);
    return 1;
  }
}

function processorWith(redis: MemoryRedis): (job: ParentJob) => ReturnType<ReturnType<typeof createAggregator>['aggregate']> {
  const aggregator = createAggregator({
    context: { rules: config.rules, symbolScores: config.symbolScores, thresholds: { reject: 15, 'add header': 6, greylist: 4 }, whitelists: new Map() },
    results: new ResultStore(redis as unknown as Redis, 'avft', 600),
    metrics: createFleetMetrics(new Registry(), { defaultMetrics: false }),
    logger: NOOP_LOGGER,
  });
  return (job) => aggregator.aggregate(job);
}

const data: AggregateJobData = {
  v: 1, scanId: 'agg-1', configDigest: config.digest, receivedAt: Date.now(), messageKey: 'x', meta: EMPTY_META, parts: [], skipped: {},
  expected: [{ rule: 'clamav', partIndex: null }], preResolved: [],
};

const result = (verdict: ScanJobResult['verdict']): ScanJobResult => ({ rule: 'clamav', partIndex: null, verdict, cached: false, ms: 5 });

describe('createAggregator().aggregate', () => {
  it('asks for the children values and the ignored failures together, then stores the result', async () => {
    const asked: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const job = {
      data,
      getChildrenValues: async () => {
        asked.push('values');
        await gate;
        return { a: result({ kind: 'virus', names: ['First'] }) };
      },
      getIgnoredChildrenFailures: async () => {
        asked.push('failures');
        return {};
      },
    } as unknown as ParentJob;
    const redis = new MemoryRedis();
    const running = processorWith(redis)(job);
    await new Promise((resolve) => setImmediate(resolve));
    expect(asked).toEqual(['values', 'failures']);
    release();
    await expect(running).resolves.toMatchObject({ action: 'reject' });
    expect(JSON.parse(redis.values.get('avft:result:agg-1') ?? '{}')).toMatchObject({ action: 'reject', message_verdicts: { clamav: { kind: 'virus', names: ['First'] } } });
  });

  it('keeps the first answer when it runs again with other child values, and publishes only that one to the waiting producer', async () => {
    const redis = new MemoryRedis();
    const processor = processorWith(redis);
    let values: Record<string, ScanJobResult> = { a: result({ kind: 'virus', names: ['First'] }) };
    const job = { data: { ...data, notify: 'avft:done:p1' }, getChildrenValues: async () => values, getIgnoredChildrenFailures: async () => ({}) } as unknown as ParentJob;
    const first = await processor(job);
    values = { a: result({ kind: 'clean' }) };
    await expect(processor(job)).resolves.toEqual(first);
    expect(JSON.parse(redis.values.get('avft:result:agg-1') ?? '{}')).toMatchObject({ action: 'reject' });
    expect(redis.published.map(([channel, json]) => [channel, JSON.parse(json)])).toEqual([['avft:done:p1', first]]);
  });

  it('gives a missing child a fail verdict that names why it failed, and an unreadable failure list is no reason at all', async () => {
    const withReason = { data, getChildrenValues: async () => ({}), getIgnoredChildrenFailures: async () => ({ 'bull:clamav:1': 'scanner crashed' }) } as unknown as ParentJob;
    const redis = new MemoryRedis();
    await processorWith(redis)(withReason);
    expect(JSON.parse(redis.values.get('avft:result:agg-1') ?? '{}').message_verdicts.clamav).toMatchObject({ kind: 'fail', text: 'scan job failed: scanner crashed' });
    const unreadable = { data, getChildrenValues: async () => ({}), getIgnoredChildrenFailures: async () => Promise.reject(new Error('gone')) } as unknown as ParentJob;
    const other = new MemoryRedis();
    await processorWith(other)(unreadable);
    expect(JSON.parse(other.values.get('avft:result:agg-1') ?? '{}').message_verdicts.clamav).toMatchObject({ kind: 'fail', text: 'scan job failed: no result' });
  });
});

describe('createAggregationJob', () => {
  const scanOf = { data: { scanId: 'S' } as AggregateJobData, results: [] };
  function run(opts: { removeWithResult?: boolean }): Promise<{ seen: (string | undefined)[]; dropped: string[]; reads: number }> {
    const seen: (string | undefined)[] = [];
    const dropped: string[] = [];
    let reads = 0;
    const aggregate = createAggregationJob(
      { aggregate: async (job) => (seen.push(job.stateKey), { id: job.data.scanId } as ScanResult) },
      { read: async () => (reads++, scanOf), drop: async (id) => void dropped.push(id), keyOf: (id) => `state:${id}` },
      { load: async () => null },
      opts,
    );
    return aggregate('S', scanOf).then(() => ({ seen, dropped, reads }));
  }

  it('on one Redis hands the state key to the result save, and removes nothing itself (D62)', async () => {
    await expect(run({ removeWithResult: true })).resolves.toEqual({ seen: ['state:S'], dropped: [], reads: 0 });
  });

  it('otherwise removes the state with its own command after the result is saved', async () => {
    await expect(run({})).resolves.toEqual({ seen: [undefined], dropped: ['S'], reads: 0 });
  });
});
