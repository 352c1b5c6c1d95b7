import { Registry } from 'prom-client';
import { createFleetMetrics } from '../observe/fleet-metrics';
import type { Logger } from '../observe/logger';
import { retroExpiryIntervalMs, retroExpiryLockKey, scheduleRetroExpiry } from './schedule-retro-expiry';

const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent };

describe('scheduleRetroExpiry', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] }));
  afterEach(() => jest.useRealTimers());

  it('runs a tenth of the window apart, from 1 s to 5 min', () => {
    expect(retroExpiryIntervalMs(86_400)).toBe(300_000);
    expect(retroExpiryIntervalMs(5)).toBe(1000);
    expect(retroExpiryIntervalMs(600)).toBe(60_000);
  });

  it('forgets what was stored before the window, in batches until none is left, one worker per interval', async () => {
    const held = new Set<string>();
    const redis = { set: async (key: string): Promise<'OK' | null> => (held.has(key) ? null : (held.add(key), 'OK')) };
    const cutoffs: number[] = [];
    const batches = [false, true];
    const metrics = createFleetMetrics(new Registry());
    const stops = [1, 2].map(() => scheduleRetroExpiry({
      memory: { expire: async (cutoff: number) => (cutoffs.push(cutoff), { removed: 10, complete: batches.shift() ?? true, stats: { entries: 5, bytes: 500 } }) },
      redis, queuePrefix: 'p', windowSec: 3600, metrics, logger: silent, now: () => 10_000_000,
    }));
    await jest.advanceTimersByTimeAsync(3000);
    expect(cutoffs).toEqual([10_000_000 - 3_600_000, 10_000_000 - 3_600_000]);
    expect(held.has(retroExpiryLockKey('p'))).toBe(true);
    expect((await metrics.retroRememberedParts.get()).values[0]?.value).toBe(5);
    for (const stop of stops) stop();
  });
});
