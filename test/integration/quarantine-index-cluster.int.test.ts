import { Cluster } from 'ioredis';
import { QuarantineIndex, memberOf, type QuarantineEntry } from '@avfleet/core';
import { startRedisCluster, type PrivateRedisCluster } from '../helpers/start-redis-cluster';

/**
 * The quarantine's index on a real Redis Cluster (AVFLEET_REDIS_CLUSTER_NODES): its scripts
 * touch three keys that share the `{quarantine}` hash slot, its lexicographic ranges page.
 */

jest.setTimeout(120_000);

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

const entry = (id: string, rcpt: string): QuarantineEntry => ({
  id, quarantined_at: '', received_at: '', queue_id: null, from: null, rcpt: [rcpt], subject: null, size: 100, action: 'reject', score: 15, symbols: [{ name: 'CLAM_VIRUS' }], released: null,
});

test('adds, pages, filters, expires and removes on a cluster, within its bounds', async () => {
  const index = new QuarantineIndex(client, 'avft-quarantine-cluster', { maxEntries: 5, maxBytes: 10_000 });
  const t0 = 1_780_000_000_000;
  for (let i = 0; i < 6; i++) {
    const added = await index.add(entry(`C${i}`, i % 2 === 0 ? 'even@x.org' : 'odd@x.org'), t0 + i);
    expect(added.outcome).toBe(i < 5 ? 'kept' : 'full');
  }
  const first = await index.list({ limit: 2 });
  expect(first.entries.map((e) => e.id)).toEqual(['C4', 'C3']);
  expect(first.next_cursor).toBe(memberOf(t0 + 3, 'C3'));
  const rest = await index.list({ limit: 10, cursor: first.next_cursor as string });
  expect(rest).toEqual({ entries: [entry('C2', 'even@x.org'), entry('C1', 'odd@x.org'), entry('C0', 'even@x.org')], next_cursor: null });
  expect((await index.list({ rcpt: 'EVEN@x.org' })).entries.map((e) => e.id)).toEqual(['C4', 'C2', 'C0']);
  await expect(index.expired(t0 + 2)).resolves.toEqual(['C0', 'C1']);
  for (const id of ['C0', 'C1', 'C2', 'C3', 'C4']) expect(await index.remove(id)).not.toBeNull();
  await expect(index.stats()).resolves.toEqual({ entries: 0, bytes: 0 });
  await client.del('avft-quarantine-cluster:{quarantine}:bytes');
});
