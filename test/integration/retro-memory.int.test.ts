import IORedis, { Cluster } from 'ioredis';
import { RetroMemory, keySlot, retroKeys, type PartOffer, type RetroCarrier } from '@avfleet/core';
import { cleanupPrefix, testPrefix, teardownThenDisconnect } from '../helpers/redis-prefix';
import { startRedisCluster, type PrivateRedisCluster } from '../helpers/start-redis-cluster';
import { testServices } from '../helpers/test-services';

/**
 * The retro-scan's memory (packages/core/src/retroscan/retro-memory.ts) on a real Redis: its
 * scripts hold the bounds on entries, Redis bytes and carriers per part, a part is remembered
 * only with a location, expiry follows the time the bytes were stored, a detection is recorded
 * once however often it is found; and on a Redis Cluster every key lies in one slot.
 */

jest.setTimeout(120_000);

const prefix = testPrefix(__filename);
const queuePrefix = prefix.slice(0, -1);
let redis: IORedis;

beforeAll(() => {
  redis = new IORedis(testServices().redisUrl, { maxRetriesPerRequest: 1 });
});

afterAll(() => teardownThenDisconnect(redis, async () => { await cleanupPrefix(redis, prefix); }));

const T0 = 1_780_000_000_000;
const sha = (n: number): string => n.toString(16).padStart(64, '0');
const carrier = (scanId: string, rcpt = ['r@x.org']): RetroCarrier => ({ scanId, time: new Date(T0).toISOString(), queueId: `Q${scanId}`, from: 's@x.org', recipients: rcpt, messageId: `<${scanId}@x>` });
const at = (n: number, rule = 'clamav'): PartOffer => ({
  rule, digest: sha(n), location: { key: `messages/2026/01/01/M${n}.eml`, range: { offset: 100, length: 50, encoding: 'base64' }, size: 37, filename: 'a.pdf', contentType: 'application/pdf' },
});
const cachedOnly = (n: number, rule = 'clamav'): PartOffer => ({ rule, digest: sha(n), location: null });

test('remembers clean parts with their carriers, within the entry, byte and carrier bounds', async () => {
  const memory = new RetroMemory(redis, `${queuePrefix}-a`, { maxEntries: 3, maxBytes: 1_000_000, maxCarriers: 2 });
  // A part answered from the cache with nothing stored is not remembered (no bytes to scan again).
  await expect(memory.remember([cachedOnly(1)], carrier('S0'), T0)).resolves.toMatchObject({ added: 0, carried: 0, full: 0 });
  await expect(memory.remember([at(1), at(2)], carrier('S1'), T0)).resolves.toMatchObject({ added: 2, carried: 0, full: 0, stats: { entries: 2 } });
  // The same part in later scans: carriers up to the bound, then counted; a cached-only sighting still adds its carrier.
  await expect(memory.remember([cachedOnly(1)], carrier('S2'), T0 + 1)).resolves.toMatchObject({ added: 0, carried: 1 });
  // Past its carriers a sighting is only counted: no bound to check, so the script does not read the stats (null).
  await expect(memory.remember([cachedOnly(1)], carrier('S3'), T0 + 2)).resolves.toMatchObject({ carried: 1, stats: null });
  const one = await memory.get('clamav', sha(1));
  expect(one?.carriers.map((c) => c.scanId)).toEqual(['S1', 'S2']);
  expect(one?.carriersOmitted).toBe(1);
  expect(one?.location).toEqual(at(1).location);
  expect(one?.storedAt).toBe(T0);
  expect(one?.carriers[0]).toEqual(carrier('S1'));
  // A third pair fits, a fourth is refused by maxEntries.
  await expect(memory.remember([at(3), at(4)], carrier('S4'), T0)).resolves.toMatchObject({ added: 1, full: 1, stats: { entries: 3 } });
  const stats = await memory.stats();
  expect(stats.entries).toBe(3);
  // The byte counter is what the hash really holds (fields and values).
  const k = retroKeys(`${queuePrefix}-a`);
  const all = await redis.hgetall(k.entries);
  expect(stats.bytes).toBe(Object.entries(all).reduce((n, [f, v]) => n + Buffer.byteLength(f) + Buffer.byteLength(v), 0));
  expect(stats.entries).toBe(Object.keys(all).length);

  const small = new RetroMemory(redis, `${queuePrefix}-b`, { maxEntries: 1000, maxBytes: stats.bytes / 3 + 200, maxCarriers: 5 });
  const first = await small.remember([at(1)], carrier('S1'), T0);
  expect(first.added).toBe(1);
  // Past maxBytes: new parts are refused, and so is a carrier that would not fit.
  let refused = 0;
  for (let i = 2; i < 10; i++) refused += (await small.remember([at(i)], carrier(`S${i}`), T0)).full;
  expect(refused).toBeGreaterThan(0);
  expect((await small.stats()).bytes).toBeLessThanOrEqual(stats.bytes / 3 + 200);
});

test('pages one rule since a time; expires by the time the bytes were last stored; keeps the oldest for store retention', async () => {
  const memory = new RetroMemory(redis, `${queuePrefix}-c`, { maxEntries: 10_000, maxBytes: 1e9, maxCarriers: 3 });
  for (let i = 0; i < 1200; i++) await memory.remember([at(i, i % 2 === 0 ? 'clamav' : 'other')], carrier(`S${i}`), T0 + i);
  const seen: string[] = [];
  let offset: number | null = 0;
  while (offset !== null) {
    const page: Awaited<ReturnType<RetroMemory['page']>> = await memory.page('clamav', T0 + 100, offset);
    seen.push(...page.parts.map((p) => p.digest));
    offset = page.next;
  }
  expect(seen).toHaveLength(550);
  expect(new Set(seen).size).toBe(550);
  expect(seen.every((d) => parseInt(d, 16) % 2 === 0 && parseInt(d, 16) >= 100)).toBe(true);
  await expect(memory.oldestStoredAt()).resolves.toBe(T0);
  // A newer scan that stored the part again refreshes its location and time: it stays past the old cutoff.
  await memory.remember([at(0)], carrier('again'), T0 + 5000);
  const run = await memory.expire(T0 + 1000, 2000);
  expect(run).toMatchObject({ removed: 999, complete: true, stats: { entries: 201 } });
  await expect(memory.get('clamav', sha(0))).resolves.toMatchObject({ storedAt: T0 + 5000 });
  await expect(memory.oldestStoredAt()).resolves.toBe(T0 + 1000);
  // Bounded batches: more left → not complete.
  await expect(memory.expire(T0 + 10_000, 50)).resolves.toMatchObject({ removed: 50, complete: false });
});

test('a detection is recorded once, newest first, and the part leaves the memory', async () => {
  const memory = new RetroMemory(redis, `${queuePrefix}-d`, { maxEntries: 100, maxBytes: 1e6, maxCarriers: 5 });
  await memory.remember([at(1), at(2)], carrier('S1'), T0);
  await memory.remember([cachedOnly(1)], carrier('S2'), T0 + 1);
  const build = (p: { digest: string; carriers: readonly RetroCarrier[] }): { digest: string; scans: string[] } => ({ digest: p.digest, scans: p.carriers.map((c) => c.scanId) });
  const [a, b] = await Promise.all([memory.detect('clamav', sha(1), build), memory.detect('clamav', sha(1), build)]);
  expect([a, b].filter((d) => d !== null)).toEqual([{ digest: sha(1), scans: ['S1', 'S2'] }]);
  await memory.detect('clamav', sha(2), build);
  await expect(memory.detections(10)).resolves.toEqual([{ digest: sha(2), scans: ['S1'] }, { digest: sha(1), scans: ['S1', 'S2'] }]);
  await expect(memory.get('clamav', sha(1))).resolves.toBeNull();
  await expect(memory.stats()).resolves.toEqual({ entries: 0, bytes: 0 });
});

describe('on a Redis Cluster', () => {
  let cluster: PrivateRedisCluster;
  let client: Cluster;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    client = new Cluster(cluster.seeds.map((s) => ({ host: '127.0.0.1', port: Number(s.split(':')[1]) })), { clusterRetryStrategy: () => 200 });
    client.on('error', () => undefined);
  });
  afterAll(async () => {
    client?.disconnect();
    await cluster?.dispose();
  });

  test('every key of the memory is in one slot, and the scripts run there', async () => {
    const k = retroKeys('avft-retro-cluster');
    expect(new Set(Object.values(k).map(keySlot)).size).toBe(1);
    const memory = new RetroMemory(client, 'avft-retro-cluster', { maxEntries: 100, maxBytes: 1e6, maxCarriers: 5 });
    await expect(memory.remember([at(1), at(2)], carrier('S1'), T0)).resolves.toMatchObject({ added: 2 });
    await expect(memory.page('clamav', 0)).resolves.toMatchObject({ next: null });
    await expect(memory.detect('clamav', sha(1), (p) => p.digest)).resolves.toBe(sha(1));
    await expect(memory.expire(T0 + 1)).resolves.toMatchObject({ removed: 1, stats: { entries: 0, bytes: 0 } });
  });
});
