import type { Logger } from '../observe/logger';
import { quarantineExpiryIntervalMs, quarantineExpiryLockKey, scheduleQuarantineExpiry } from './schedule-quarantine-expiry';

const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent };

describe('scheduleQuarantineExpiry', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] }));
  afterEach(() => jest.useRealTimers());

  it('runs a tenth of the retention apart, from 1 s to 1 min', () => {
    expect(quarantineExpiryIntervalMs(30)).toBe(60_000);
    expect(quarantineExpiryIntervalMs(3 / 86_400)).toBe(1000);
    expect(quarantineExpiryIntervalMs(100 / 86_400)).toBe(10_000);
  });

  it('two workers, one lock: one of them expires per interval, in batches until none is left', async () => {
    const held = new Map<string, number>();
    let now = 0;
    const redis = {
      set: async (key: string, _v: string, _px: 'PX', ms: number): Promise<'OK' | null> => {
        if ((held.get(key) ?? -1) > now) return null;
        held.set(key, now + ms);
        return 'OK';
      },
    };
    const batches: boolean[] = [false, false, true, true];
    const calls: string[] = [];
    const stops = ['w1', 'w2'].map((w) => scheduleQuarantineExpiry({
      quarantine: { expire: async () => (calls.push(w), { removed: 1, complete: batches.shift() ?? true, stats: { entries: 0, bytes: 0 } }) },
      redis, queuePrefix: 'p', retentionDays: 30, logger: silent,
    }));
    await jest.advanceTimersByTimeAsync(2000);
    expect(calls).toHaveLength(3); // three batches, the third complete, by the one that got the lock
    expect(new Set(calls).size).toBe(1);
    expect(held.has(quarantineExpiryLockKey('p'))).toBe(true);
    now = 60_001;
    await jest.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(4);
    for (const stop of stops) stop();
  });
});
