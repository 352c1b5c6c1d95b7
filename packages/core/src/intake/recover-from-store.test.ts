import { newScanId } from '../contracts/scan-id';
import { NOOP_LOGGER } from '../observe/logger';
import { StoreRecovery, type StoreRecoveryDeps } from './recover-from-store';

const TTL_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Redis (a marker, scans with a result or state) and a store of message ids by day, as the recovery sees them. */
function fleet(now: () => number) {
  const redis = { marker: null as string | null, finished: new Set<string>(), markerReads: 0 };
  const stored = new Map<number, string[]>();
  const rescanned: string[] = [];
  const store = (at: number): string => {
    const id = newScanId(at);
    const day = Math.floor(at / DAY_MS) * DAY_MS;
    stored.set(day, [...(stored.get(day) ?? []), id].sort());
    return id;
  };
  const deps: StoreRecoveryDeps = {
    readMarker: async () => (redis.markerReads++, redis.marker),
    claimMarker: async (v) => (redis.marker === null ? ((redis.marker = v), true) : false),
    listMessageIds: async (day, limit) => (stored.get(day.getTime()) ?? []).slice(0, limit),
    unfinished: async (ids) => ids.map((id) => !redis.finished.has(id)),
    rescan: async (id) => (rescanned.push(id), { kind: 'rescanning' }),
    resultTtlMs: TTL_MS,
    logger: NOOP_LOGGER,
    now,
  };
  return { redis, store, rescanned, deps };
}

describe('StoreRecovery', () => {
  // Early in a UTC day: the TTL window reaches into the day before.
  const clock = { t: Date.UTC(2026, 11, 7, 0, 20) };
  const now = (): number => clock.t;

  it('one GET per sweep while the marker stays; when it vanishes, one producer rebuilds the window\'s stored messages Redis lost, a bounded number per sweep', async () => {
    const f = fleet(now);
    const expired = f.store(clock.t - TTL_MS - 60_000);
    const lost = [f.store(clock.t - 50 * 60_000), f.store(clock.t - 30 * 60_000), f.store(clock.t - 5 * 60_000), f.store(clock.t - 2 * 60_000)];
    const done = f.store(clock.t - 10 * 60_000);
    f.redis.finished.add(done);
    f.redis.marker = 'epoch-1';
    const a = new StoreRecovery(f.deps, { maxChecksPerSweep: 3 });
    const b = new StoreRecovery(f.deps, { maxChecksPerSweep: 3 });
    expect(await a.sweep()).toBe(0);
    expect(await b.sweep()).toBe(0);
    expect(f.redis.markerReads).toBe(2);
    expect(f.rescanned).toEqual([]);

    f.redis.marker = null; // Redis restarted without persistence
    expect(await a.sweep()).toBe(2); // the three oldest of the window checked: two lost, one finished
    expect(await b.sweep()).toBe(0); // the marker is back: b has nothing to do
    expect(a.backlog).toBe(2);
    expect(await a.sweep()).toBe(2);
    expect(a.backlog).toBe(0);
    expect(f.rescanned).toEqual(lost);
    expect(f.rescanned).not.toContain(expired);
    expect(await a.sweep()).toBe(0);
    expect(f.rescanned).toHaveLength(4);
  });

  it('waits for a message younger than settleMs (its accept may still be writing its state), and tries a failed batch again', async () => {
    const f = fleet(now);
    const old = f.store(clock.t - 60_000);
    const young = f.store(clock.t - 5_000);
    let fail = true;
    const r = new StoreRecovery({ ...f.deps, unfinished: async (ids) => (fail ? Promise.reject(new Error('redis down')) : f.deps.unfinished(ids)) }, { settleMs: 30_000 });
    await expect(r.sweep()).rejects.toThrow('redis down');
    fail = false;
    expect(await r.sweep()).toBe(1);
    expect(f.rescanned).toEqual([old]);
    clock.t += 30_000;
    expect(await r.sweep()).toBe(1);
    expect(f.rescanned).toEqual([old, young]);
  });

  it('a listing that fails leaves the marker missing: the next sweep lists again', async () => {
    const f = fleet(now);
    clock.t = Date.UTC(2026, 11, 7, 12, 0);
    const id = f.store(clock.t - 60_000);
    let fail = true;
    const r = new StoreRecovery({ ...f.deps, listMessageIds: async (day, limit) => (fail ? Promise.reject(new Error('store down')) : f.deps.listMessageIds(day, limit)) });
    await expect(r.sweep()).rejects.toThrow('store down');
    expect(f.redis.marker).toBeNull();
    fail = false;
    expect(await r.sweep()).toBe(1);
    expect(f.rescanned).toEqual([id]);
    expect(f.redis.marker).not.toBeNull();
  });

  it('takes at most maxPerRecovery stored messages, the newest day first', async () => {
    const f = fleet(now);
    clock.t = Date.UTC(2026, 11, 7, 0, 10);
    const yesterday = [f.store(clock.t - 40 * 60_000), f.store(clock.t - 30 * 60_000)];
    const today = [f.store(clock.t - 5 * 60_000), f.store(clock.t - 4 * 60_000)];
    const r = new StoreRecovery(f.deps, { maxPerRecovery: 3 });
    expect(await r.sweep()).toBe(3);
    expect(f.rescanned).toEqual([yesterday[0], ...today]);
    expect(r.backlog).toBe(0);
  });
});
