import { VerdictCache } from './verdict-cache';
import type { VerdictCacheClient, VerdictCacheEvent } from './verdict-cache';

class FakeRedis implements VerdictCacheClient {
  readonly store = new Map<string, { value: string; ttl: number }>();
  failGet = false;
  failSet = false;
  hang = false;
  mgets = 0;
  async mget(...keys: string[]): Promise<(string | null)[]> {
    if (this.hang) return new Promise(() => undefined);
    if (this.failGet) throw new Error('ECONNREFUSED');
    this.mgets++;
    return keys.map((key) => this.store.get(key)?.value ?? null);
  }
  async setex(key: string, ttl: number, value: string): Promise<'OK'> {
    if (this.failSet) throw new Error('READONLY');
    this.store.set(key, { value, ttl });
    return 'OK';
  }
}

function setup(readTimeoutMs?: number) {
  const redis = new FakeRedis();
  const events: VerdictCacheEvent[] = [];
  const cache = new VerdictCache(redis, { observer: (e) => events.push(e), readTimeoutMs });
  return { redis, events, cache };
}

describe('VerdictCache', () => {
  it('writes with SETEX and reads back', async () => {
    const { redis, cache, events } = setup();
    expect(await cache.set('k', { kind: 'virus', names: ['Eicar'] }, 3600)).toBe(true);
    expect(redis.store.get('k')).toEqual({ value: 'Eicar\t1', ttl: 3600 });
    expect(await cache.get('k')).toEqual({ kind: 'virus', names: ['Eicar'], weight: 1 });
    expect(await cache.get('other')).toBeNull();
    expect(events.map((e) => `${e.op}:${e.outcome}`)).toEqual(['set:written', 'get:hit', 'get:miss']);
  });

  it('rounds the TTL and skips ttl ≤ 0 and fail verdicts', async () => {
    const { redis, cache } = setup();
    expect(await cache.set('a', { kind: 'clean' }, 5400.4)).toBe(true);
    expect(redis.store.get('a')?.ttl).toBe(5400);
    expect(await cache.set('b', { kind: 'clean' }, 0)).toBe(false);
    expect(await cache.set('c', { kind: 'clean' }, -5)).toBe(false);
    expect(await cache.set('d', { kind: 'fail', text: 'x', reason: 'error' }, 3600)).toBe(false);
    expect([...redis.store.keys()]).toEqual(['a']);
  });

  it('treats a read error as a miss and reports it', async () => {
    const { redis, cache, events } = setup();
    redis.failGet = true;
    expect(await cache.get('k')).toBeNull();
    expect(events).toEqual([{ op: 'get', key: 'k', outcome: 'error', error: expect.any(Error) }]);
  });

  it('treats a hanging read as a miss after the read timeout', async () => {
    const { redis, cache, events } = setup(50);
    redis.hang = true;
    expect(await cache.get('k')).toBeNull();
    expect(events[0]?.outcome).toBe('error');
  });

  it('only reports a write error', async () => {
    const { redis, cache, events } = setup();
    redis.failSet = true;
    await expect(cache.set('k', { kind: 'clean' }, 10)).resolves.toBe(false);
    expect(events[0]).toMatchObject({ op: 'set', outcome: 'error' });
  });

  it('passes the decode options (hash-service row)', async () => {
    const { redis, cache } = setup();
    redis.store.set('h', { value: 'VIRUSTOTAL_LOW\vabc:3/70\t1', ttl: 1 });
    expect(await cache.get('h', { isHashService: true })).toEqual({ kind: 'category', symbol: 'VIRUSTOTAL_LOW', option: 'abc:3/70' });
  });

  it('reads several keys in one round trip, each with its own decode options, misses as null', async () => {
    const { redis, cache, events } = setup();
    redis.store.set('a', { value: 'Eicar\t1', ttl: 1 });
    redis.store.set('h', { value: 'VIRUSTOTAL_LOW\vabc:3/70\t1', ttl: 1 });
    const got = await cache.getMany(['a', 'missing', 'h'], [{ isHashService: false }, { isHashService: false }, { isHashService: true }]);
    expect(got).toEqual([{ kind: 'virus', names: ['Eicar'], weight: 1 }, null, { kind: 'category', symbol: 'VIRUSTOTAL_LOW', option: 'abc:3/70' }]);
    expect(redis.mgets).toBe(1);
    expect(events.map((e) => `${e.key}:${e.outcome}`)).toEqual(['a:hit', 'missing:miss', 'h:hit']);
    redis.failGet = true;
    expect(await cache.getMany(['a', 'h'])).toEqual([null, null]);
    expect(await cache.getMany([])).toEqual([]);
  });

  it('survives a throwing observer', async () => {
    const cache = new VerdictCache(new FakeRedis(), { observer: () => { throw new Error('boom'); } });
    await expect(cache.get('k')).resolves.toBeNull();
  });
});
