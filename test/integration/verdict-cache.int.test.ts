/**
 * The verdict cache against the real Redis: SETEX round trips, TTL, fail
 * verdicts not cached, values written by Rspamd (by hand here) read back, and
 * a Redis that cannot be reached read as a miss.
 */
import { createHash } from 'node:crypto';
import Redis from 'ioredis';
import { VerdictCache, cacheKey } from '../../packages/core/src/cache';
import type { VerdictCacheEvent } from '../../packages/core/src/cache';
import { testRule } from '../../packages/core/test/test-rule';
import { cleanupPrefix, testPrefix, teardownThenDisconnect } from '../helpers/redis-prefix';
import { testServices } from '../helpers/test-services';

const EICAR = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*', 'latin1');
const services = testServices();
const prefix = testPrefix('verdict-cache.int.test.ts');
const rule = testRule({ name: 'clamav', prefix: `${prefix}rs_clamav_` });
const redis = new Redis(services.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
const events: VerdictCacheEvent[] = [];
const cache = new VerdictCache(redis, { observer: (e) => events.push(e) });

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

afterAll(() =>
  teardownThenDisconnect(redis, async () => {
    await cleanupPrefix(redis, prefix);
  }),
);

describe('VerdictCache with Redis', () => {
  it('round-trips a verdict under the default key and sets the TTL', async () => {
    const key = cacheKey(rule, sha(EICAR), '27000', { rspamdCompat: false });
    expect(key).toBe(`${prefix}rs_clamav_27000:${sha(EICAR)}`);
    expect(await cache.set(key, { kind: 'virus', names: ['Eicar-Test-Signature'] }, 3600)).toBe(true);
    expect(await redis.get(key)).toBe('Eicar-Test-Signature\t1');
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(3500);
    expect(ttl).toBeLessThanOrEqual(3600);
    expect(await cache.get(key)).toEqual({ kind: 'virus', names: ['Eicar-Test-Signature'], weight: 1 });
  });

  it('rounds a fractional TTL to whole seconds', async () => {
    const key = `${prefix}frac`;
    expect(await cache.set(key, { kind: 'clean' }, 90.6)).toBe(true);
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(85);
    expect(ttl).toBeLessThanOrEqual(91);
  });

  it('does not cache fail verdicts or a TTL of 0', async () => {
    const failKey = `${prefix}fail`;
    expect(await cache.set(failKey, { kind: 'fail', text: 'connection refused', reason: 'error' }, 3600)).toBe(false);
    expect(await redis.exists(failKey)).toBe(0);
    const zeroKey = `${prefix}zero`;
    expect(await cache.set(zeroKey, { kind: 'clean' }, 0)).toBe(false);
    expect(await redis.exists(zeroKey)).toBe(0);
  });

  it('misses an absent key', async () => {
    expect(await cache.get(`${prefix}absent`)).toBeNull();
  });

  it('reads values as Rspamd writes them', async () => {
    const cases: Array<[string, unknown]> = [
      ['OK\t1', { kind: 'clean' }],
      ['OK\t0', { kind: 'clean' }],
      ['Eicar-Test-Signature\t1', { kind: 'virus', names: ['Eicar-Test-Signature'], weight: 1 }],
      ['Eicar-Test-Signature\t1.0', { kind: 'virus', names: ['Eicar-Test-Signature'], weight: 1 }],
      ['ENCRYPTED\t1', { kind: 'encrypted', text: 'File is encrypted' }],
      ['MACRO\t1.0', { kind: 'macro', text: 'File contains macros' }],
      ['Win.Test.A\vWin.Test.B\t1\tinvoice.zip', { kind: 'virus', names: ['Win.Test.A', 'Win.Test.B'], weight: 1 }],
      ['Some.Threat\t0.5', { kind: 'virus', names: ['Some.Threat'], weight: 0.5 }],
    ];
    for (const [i, [value, expected]] of cases.entries()) {
      const key = `${prefix}rspamd:${i}`;
      await redis.setex(key, 60, value);
      expect(await cache.get(key)).toEqual(expected);
    }
  });

  it('shares the Rspamd key in compat mode', async () => {
    const key = cacheKey(rule, sha(EICAR), '27000', { rspamdCompat: true, content: EICAR });
    expect(key).toBe(
      `${prefix}rs_clamav_5b1e840d22fad1555457e0b5927c2c1c2f6abc72ee7d26b0ceea8ce1a1110630cb01a1bb506dea22bbf93b31ecaa92ad4255c21e8111ea88868a7bfcfc405601`,
    );
    await redis.setex(key, 60, 'Eicar-Test-Signature\t1');
    expect(await cache.get(key)).toEqual({ kind: 'virus', names: ['Eicar-Test-Signature'], weight: 1 });
  });

  it('reads the hash-service row as a category', async () => {
    const key = `${prefix}vt`;
    await redis.setex(key, 60, 'VIRUSTOTAL_HIGH\v44d8b02f:61/68\t1');
    expect(await cache.get(key, { isHashService: true })).toEqual({ kind: 'category', symbol: 'VIRUSTOTAL_HIGH', option: '44d8b02f:61/68' });
  });

  it('treats an unreachable Redis as a miss and reports the error', async () => {
    const dead = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    dead.on('error', () => undefined);
    const seen: VerdictCacheEvent[] = [];
    const broken = new VerdictCache(dead, { observer: (e) => seen.push(e) });
    try {
      expect(await broken.get(`${prefix}any`)).toBeNull();
      expect(seen).toEqual([expect.objectContaining({ op: 'get', outcome: 'error' })]);
      expect(await broken.set(`${prefix}any`, { kind: 'clean' }, 60)).toBe(false);
      expect(seen[1]).toMatchObject({ op: 'set', outcome: 'error' });
    } finally {
      dead.disconnect();
    }
  });
});
