import type { AggregateJobData } from '../contracts/aggregate-job-data';
import type { ScanJobData } from '../contracts/scan-job-data';
import { NOOP_LOGGER } from '../observe/logger';
import type { EnqueuedScan } from './enqueue-scan';
import { ScanReconciler, type ReconcileDeps } from './reconcile-scans';

/** Only the fields the reconciler reads (the rest of a job's data is passed through untouched). */
function scan(id: string, partIndexes: string[], lane = 1): EnqueuedScan {
  return {
    job: { scanId: id } as AggregateJobData,
    parts: partIndexes.map((partIndex) => ({ scanId: id, rule: 'clamav', partIndex }) as ScanJobData),
    lane,
  };
}

/** A Redis as the reconciler sees it: results, states (recorded parts) and jobs, and what it was asked to do. */
function fakeRedis() {
  const results = new Set<string>();
  const states = new Map<string, Set<string>>();
  const jobs = new Set<string>();
  const calls: string[] = [];
  const deps: ReconcileDeps = {
    state: {
      recordedParts: async (id) => {
        const parts = states.get(id);
        return parts ? { has: (_rule, partIndex) => parts.has(String(partIndex)) } : null;
      },
    },
    hasResult: async (id) => results.has(id),
    jobExists: async (lane, queue, jobId) => jobs.has(`${lane}/${queue}/${jobId}`),
    reopen: async (s) => void calls.push(`reopen ${s.job.scanId} lane ${s.lane}`),
    readd: async (lane, parts) => void calls.push(`readd lane ${lane} ${parts.map((p) => p.partIndex).join(',')}`),
    logger: NOOP_LOGGER,
  };
  return { results, states, jobs, calls, deps };
}

describe('ScanReconciler', () => {
  const clock = { t: 0 };
  const now = (): number => clock.t;
  beforeEach(() => {
    clock.t = 1_000_000;
  });

  it('checks nothing before a scan is due, nor a scan whose result was heard: no Redis command for a healthy fleet', async () => {
    const redis = fakeRedis();
    const asked: string[] = [];
    const r = new ScanReconciler({ ...redis.deps, hasResult: async (id) => (asked.push(id), false) }, { checkAfterMs: 10_000, forgetAfterMs: 3_600_000, now });
    r.track(scan('A', ['1']));
    r.track(scan('B', ['1']));
    r.finished('B');
    clock.t += 9_999;
    expect(await r.sweep()).toBe(0);
    expect(asked).toEqual([]);
    expect(redis.calls).toEqual([]);
    expect(r.size).toBe(1);
  });

  it('a scan whose state is gone without a result is enqueued again whole, in its lane; one with a result is forgotten', async () => {
    const redis = fakeRedis();
    const counted: string[] = [];
    const r = new ScanReconciler({ ...redis.deps, counted: (reason, n) => void counted.push(`${reason} ${n}`) }, { checkAfterMs: 10_000, forgetAfterMs: 3_600_000, now });
    r.track(scan('LOST', ['1', '2'], 2));
    r.track(scan('DONE', ['1']));
    redis.results.add('DONE');
    clock.t += 10_000;
    expect(await r.sweep()).toBe(1);
    expect(redis.calls).toEqual(['reopen LOST lane 2']);
    expect(counted).toEqual(['state_lost 1']);
    // Still tracked until its result is heard; checked again only after another interval.
    expect(r.size).toBe(1);
    expect(await r.sweep()).toBe(0);
    redis.states.set('LOST', new Set(['1', '2']));
    clock.t += 10_000;
    expect(await r.sweep()).toBe(0);
    expect(redis.calls).toEqual(['reopen LOST lane 2']);
  });

  it('re-adds only the parts with neither a job nor a recorded verdict; waiting, running and finished parts are left alone', async () => {
    const redis = fakeRedis();
    const r = new ScanReconciler(redis.deps, { checkAfterMs: 10_000, forgetAfterMs: 3_600_000, now });
    r.track(scan('S', ['1', '2', '3']));
    redis.states.set('S', new Set(['1'])); // part 1 recorded (its job removed)
    redis.jobs.add('1/clamav/S.clamav.2'); // part 2 waits or runs
    clock.t += 10_000;
    expect(await r.sweep()).toBe(1);
    expect(redis.calls).toEqual(['readd lane 1 3']);
  });

  it('is bounded: at most maxChecksPerSweep scans per sweep (oldest first), and a scan is forgotten after forgetAfterMs', async () => {
    const redis = fakeRedis();
    const r = new ScanReconciler(redis.deps, { checkAfterMs: 10_000, maxChecksPerSweep: 2, forgetAfterMs: 60_000, now });
    for (const id of ['A', 'B', 'C']) r.track(scan(id, ['1']));
    clock.t += 10_000;
    await r.sweep();
    expect(redis.calls).toEqual(['reopen A lane 1', 'reopen B lane 1']);
    await r.sweep();
    expect(redis.calls).toHaveLength(3);
    clock.t += 60_000;
    await r.sweep();
    expect(r.size).toBe(0);
  });

  it('recheck (GET /scans/:id found nothing): a tracked scan is checked at once and enqueued again; an untracked one is not this process\'s', async () => {
    const redis = fakeRedis();
    const r = new ScanReconciler(redis.deps, { checkAfterMs: 10_000, forgetAfterMs: 3_600_000, now });
    r.track(scan('S', ['1']));
    expect(await r.recheck('S')).toBe('state_lost');
    expect(redis.calls).toEqual(['reopen S lane 1']);
    expect(await r.recheck('OTHER')).toBe('untracked');
    redis.results.add('S');
    expect(await r.recheck('S')).toBe('finished');
    expect(r.size).toBe(0);
  });
});
