import { RefreshedValue } from './refreshed-value';

describe('RefreshedValue', () => {
  it('fetches once per ttl and shares one fetch in flight between callers', async () => {
    let clock = 0;
    let fetches = 0;
    let release: (v: number) => void = () => undefined;
    const v = new RefreshedValue(() => {
      fetches += 1;
      return new Promise<number>((resolve) => (release = resolve));
    }, { ttlMs: 100, now: () => clock });
    const a = v.get();
    const b = v.get();
    release(7);
    expect(await Promise.all([a, b])).toEqual([7, 7]);
    expect(fetches).toBe(1);
    clock = 99;
    expect(await v.get()).toBe(7);
    expect(fetches).toBe(1);
    clock = 100;
    const c = v.get();
    release(8);
    expect(await c).toBe(8);
    expect(fetches).toBe(2);
  });

  it('answers a fresh value synchronously resolved (no fetch, one microtask)', async () => {
    const v = new RefreshedValue(async () => 'x', { ttlMs: 1000 });
    await v.get();
    let settled = false;
    void v.get().then(() => (settled = true));
    await undefined;
    expect(settled).toBe(true);
  });

  it('rejects a failed refresh, or serves the last value when told to; a failure is retried on the next get', async () => {
    let clock = 0;
    let fail = false;
    const fetch = async (): Promise<string> => {
      if (fail) throw new Error('down');
      return `v${clock}`;
    };
    const strict = new RefreshedValue(fetch, { ttlMs: 10, now: () => clock });
    const stale = new RefreshedValue(fetch, { ttlMs: 10, now: () => clock, serveStaleOnError: true });
    expect(await strict.get()).toBe('v0');
    expect(await stale.get()).toBe('v0');
    clock = 20;
    fail = true;
    await expect(strict.get()).rejects.toThrow('down');
    expect(await stale.get()).toBe('v0');
    fail = false;
    expect(await strict.get()).toBe('v20');
  });

  it('rejects when the very first fetch fails, even when serving stale values', async () => {
    const v = new RefreshedValue(async () => Promise.reject(new Error('never up')), { ttlMs: 10, serveStaleOnError: true });
    await expect(v.get()).rejects.toThrow('never up');
  });
});
