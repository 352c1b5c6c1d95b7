import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { createFleetMetrics } from '../observe/fleet-metrics';
import type { Logger } from '../observe/logger';
import { FolderObjectStore } from './folder-object-store';
import { pruneIntervalMs, pruneLockKey, scheduleStorePruning, type PruneLockClient } from './schedule-store-pruning';

const DAY = 24 * 3600_000;

/** SET NX PX over a map, with time the test controls. */
function fakeLock(): PruneLockClient & { now: number; keys: Map<string, { value: string; until: number }> } {
  const keys = new Map<string, { value: string; until: number }>();
  const lock = {
    now: 0,
    keys,
    async set(key: string, value: string, _px: 'PX', ms: number, _nx: 'NX'): Promise<'OK' | null> {
      const held = keys.get(key);
      if (held && held.until > lock.now) return null;
      keys.set(key, { value, until: lock.now + ms });
      return 'OK';
    },
  };
  return lock;
}

function recordingLogger(lines: Array<{ level: string; obj: Record<string, unknown>; msg?: string }>): Logger {
  const at = (level: string) => (obj: object | string, msg?: string): void => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

describe('pruneIntervalMs', () => {
  it('is a tenth of the retention, from 5 s to 1 h', () => {
    expect(pruneIntervalMs(3 * DAY)).toBe(3600_000);
    expect(pruneIntervalMs(3600_000)).toBe(360_000);
    expect(pruneIntervalMs(60_000)).toBe(6000);
    expect(pruneIntervalMs(30_000)).toBe(5000);
  });
});

describe('scheduleStorePruning', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'avfleet-sched-'));
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
  });
  afterEach(async () => {
    jest.useRealTimers();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('three workers, one lock: one prune per interval fleet-wide, counted and logged once', async () => {
    const store = new FolderObjectStore(dir);
    const old = await store.putMessage('old', Buffer.from('0123456789'), new Date('2024-01-01T00:00:00Z'));
    const t = new Date(Date.now() - 10 * DAY);
    await fs.utimes(store.pathFor(old), t, t);
    const lock = fakeLock();
    const registry = new Registry();
    const metrics = createFleetMetrics(registry, { defaultMetrics: false });
    const lines: Array<{ level: string; obj: Record<string, unknown>; msg?: string }> = [];
    const prune = jest.spyOn(store, 'prune');
    const stops = [0, 1, 2].map(() =>
      scheduleStorePruning({
        store, redis: lock, queuePrefix: 'avf-test', retentionMs: 3 * DAY, oldestPendingMs: async () => null,
        metrics, logger: recordingLogger(lines), intervalMs: 60_000,
      }),
    );
    try {
      await jest.advanceTimersByTimeAsync(5000); // every first try has fired
      for (let i = 0; i < 20 && prune.mock.results.length < 1; i++) await new Promise((r) => setImmediate(r));
      await prune.mock.results[0]?.value;
      await new Promise((r) => setImmediate(r));
      expect(prune).toHaveBeenCalledTimes(1);
      expect(lock.keys.has(pruneLockKey('avf-test'))).toBe(true);
      const pruned = lines.filter((l) => l.msg === 'store pruned');
      expect(pruned).toHaveLength(1);
      expect(pruned[0].obj).toMatchObject({ messages: 1, parts: 0, bytes: 10, complete: true });
      expect(await store.exists(old)).toBe(false);
      const text = await registry.metrics();
      expect(text).toContain('avfleet_store_pruned_objects_total{kind="message"} 1');
      expect(text).toContain('avfleet_store_pruned_bytes_total 10');
      expect(text).toContain('avfleet_store_prune_runs_total{outcome="complete"} 1');

      // The next interval: the lock has expired, one of them prunes again.
      lock.now += 60_000;
      await jest.advanceTimersByTimeAsync(60_000);
      for (let i = 0; i < 20 && prune.mock.results.length < 2; i++) await new Promise((r) => setImmediate(r));
      await prune.mock.results[1]?.value;
      expect(prune).toHaveBeenCalledTimes(2);
    } finally {
      for (const stop of stops) stop();
    }
  });

  it('a failed run is counted and logged with its code, and the schedule goes on', async () => {
    const store = new FolderObjectStore(dir);
    jest.spyOn(store, 'prune').mockRejectedValue(Object.assign(new Error('disk gone'), { code: 'AVF_ERR_STORE_UNAVAILABLE' }));
    const registry = new Registry();
    const metrics = createFleetMetrics(registry, { defaultMetrics: false });
    const lines: Array<{ level: string; obj: Record<string, unknown>; msg?: string }> = [];
    const stop = scheduleStorePruning({
      store, redis: fakeLock(), queuePrefix: 'avf-test', retentionMs: DAY, oldestPendingMs: async () => null,
      metrics, logger: recordingLogger(lines), intervalMs: 10_000,
    });
    try {
      await jest.advanceTimersByTimeAsync(5000);
      for (let i = 0; i < 20 && !lines.some((l) => l.level === 'warn'); i++) await new Promise((r) => setImmediate(r));
      expect(lines.filter((l) => l.level === 'warn').map((l) => l.obj.code)).toEqual(['AVF_WARN_STORE_PRUNE_FAILED']);
      expect(await registry.metrics()).toContain('avfleet_store_prune_runs_total{outcome="failed"} 1');
    } finally {
      stop();
    }
  });
});
