import type { Logger } from '../observe/logger';
import { claimVersionRun, onVersionChange, versionGuardKey } from './version-trigger';

const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent };

/** SET … EX … NX over a map, with the TTLs kept. */
function fakeRedis(): { set: (key: string, value: string, ex: 'EX', sec: number, nx: 'NX') => Promise<'OK' | null>; readonly keys: Map<string, { value: string; ttl: number }> } {
  const keys = new Map<string, { value: string; ttl: number }>();
  return {
    keys,
    set: async (key, value, _ex, sec) => {
      if (keys.has(key)) return null;
      keys.set(key, { value, ttl: sec });
      return 'OK';
    },
  };
}

describe('the version-change guard', () => {
  it('one claim per (rule, version) however many workers see the change; kept for the window', async () => {
    const redis = fakeRedis();
    const claims = await Promise.all([1, 2, 3, 4].map(() => claimVersionRun(redis, 'p', 'clamav', '27000', '27001', 86_400)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(redis.keys.get(versionGuardKey('p', 'clamav', '27001'))).toEqual({ value: 'started', ttl: 86_400 });
    // Another rule, or the next version, is a run of its own.
    await expect(claimVersionRun(redis, 'p', 'other', '5', '6', 86_400)).resolves.toBe(true);
    await expect(claimVersionRun(redis, 'p', 'clamav', '27001', '27002', 86_400)).resolves.toBe(true);
  });

  it('workers flapping between the old and the new version (their cached VERSION catching up) start no run for the old one', async () => {
    const redis = fakeRedis();
    await expect(claimVersionRun(redis, 'p', 'clamav', '27000', '27001', 60)).resolves.toBe(true); // worker A: new
    await expect(claimVersionRun(redis, 'p', 'clamav', '27001', '27000', 60)).resolves.toBe(false); // worker B still old
    await expect(claimVersionRun(redis, 'p', 'clamav', '27000', '27001', 60)).resolves.toBe(false); // B catches up
  });

  it('the keys share the retro memory\'s slot tag', () => {
    expect(versionGuardKey('avf', 'clamav', '1')).toBe('avf:{retro}:version:clamav:1');
  });

  it('a change starts one retro-scan of the whole window; a failed start is logged, never thrown', async () => {
    const redis = fakeRedis();
    const started: { rule: string; since: number; trigger: string }[] = [];
    const warned: unknown[] = [];
    const logger: Logger = { ...silent, warn: (o) => warned.push(o), child: () => logger };
    const change = onVersionChange({
      redis, queuePrefix: 'p', windowSec: 3600, logger, now: () => 10_000_000,
      starter: { start: async (rule, o) => { started.push({ rule, ...o }); return { id: 'X', rule, since: '', trigger: o.trigger, parts: 0 }; } },
    });
    change('clamav', '1', '2');
    change('clamav', '1', '2');
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([{ rule: 'clamav', since: 10_000_000 - 3_600_000, trigger: 'version' }]);
    const failing = onVersionChange({ redis, queuePrefix: 'p', windowSec: 3600, logger, starter: { start: async () => Promise.reject(new Error('redis down')) } });
    failing('clamav', '2', '3');
    await new Promise((r) => setImmediate(r));
    expect(warned).toEqual([expect.objectContaining({ code: 'AVF_WARN_RETROSCAN_START_FAILED', rule: 'clamav' })]);
  });
});
