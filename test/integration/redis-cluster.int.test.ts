import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { EICAR_TEST_STRING, createFleetMetrics, keySlot, laneQueuePrefixes, newScanId, oldestPendingScanMs, resultKey, sampleRedisHealth, scanStateKey, sigverKey, type ScanResult } from '@avfleet/core';
import { startFleet } from '../helpers/fleet-processes';
import { jsonLogLines } from '../helpers/json-log-lines';
import { CLUSTER_NODE_TIMEOUT_MS, startRedisCluster, type ClusterNodeView, type PrivateRedisCluster } from '../helpers/start-redis-cluster';
import { startPrivateRedis } from '../helpers/start-redis';
import { testServices } from '../helpers/test-services';
import { waitUntil } from '../helpers/wait-until';

/**
 * The test Redis Cluster (test/helpers/start-redis-cluster.ts) is real: 3 masters and 3
 * replicas form with every slot served, and a master SIGKILLed is replaced by its replica
 * (cluster_state ok again) within seconds; avfleet's Redis health sampling sees the
 * failed master and the cluster state on it. A fleet with AVFLEET_REDIS_CLUSTER_NODES
 * keeps everything on the cluster — its queues in one lane per master, scan states, verdict
 * cache, results and signature versions — and nothing on AVFLEET_REDIS_URL.
 */

jest.setTimeout(120000);

/** A replica is promoted after cluster-node-timeout plus a vote (well under 5 timeouts); 2x + 1 s margin. */
const FAILOVER_BOUND_MS = 2 * 5 * CLUSTER_NODE_TIMEOUT_MS + 1000;

let cluster: PrivateRedisCluster;

function message(tag: string): Buffer {
  return Buffer.from(`From: a@example.org\r\nTo: b@example.org\r\nSubject: ${tag}\r\nMessage-ID: <${tag}.${Date.now()}@avfleet.test>\r\n\r\nhello ${tag}\r\n`, 'latin1');
}

/** The master that holds `key`, once its replica has acknowledged every write (WAIT). */
async function masterHolding(key: string): Promise<ClusterNodeView> {
  const probe = clusterClient();
  try {
    const slot = Number(await probe.cluster('KEYSLOT', key));
    for (const m of (await cluster.nodes()).filter((n) => n.role === 'master' && !n.failing)) {
      const direct = new Redis(m.port, '127.0.0.1');
      try {
        if (Number(await direct.cluster('COUNTKEYSINSLOT', slot)) > 0) {
          expect(Number(await direct.call('WAIT', '1', '2000'))).toBe(1);
          return m;
        }
      } finally {
        direct.disconnect();
      }
    }
  } finally {
    probe.disconnect();
  }
  throw new Error(`no master holds ${key}`);
}

function clusterClient(): Cluster {
  const client = new Cluster(cluster.seeds.map((s) => ({ host: '127.0.0.1', port: Number(s.split(':')[1]) })), { clusterRetryStrategy: () => 200 });
  client.on('error', () => undefined);
  return client;
}

beforeAll(async () => {
  cluster = await startRedisCluster();
});

afterAll(async () => {
  await cluster?.dispose();
});

test('forms: 3 masters serving all 16384 slots, each with one replica, cluster_state ok everywhere', async () => {
  const nodes = await cluster.nodes();
  const masters = nodes.filter((n) => n.role === 'master');
  expect(masters).toHaveLength(3);
  expect(masters.reduce((s, m) => s + m.slots, 0)).toBe(16384);
  for (const m of masters) expect(nodes.filter((n) => n.masterId === m.id)).toHaveLength(1);
  for (const port of cluster.ports) expect((await cluster.info(port)).get('cluster_state')).toBe('ok');
});

test('a fleet with AVFLEET_REDIS_CLUSTER_NODES: queues in one lane per master, verdict cache, results and signature versions on the cluster, nothing on AVFLEET_REDIS_URL; it rides through a master failover', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'avft-cluster-fleet-'));
  const queues = await startPrivateRedis();
  const client = clusterClient();
  const prefix = 'avft-cluster';
  const { clamd } = testServices();
  const conf = join(dir, 'antivirus.conf');
  writeFileSync(conf, `clamav {\n  scan_mime_parts = false;\n  symbol = "CLAM_VIRUS";\n  action = "reject";\n  fail_action = "soft reject";\n  prefix = "avft_cluster_cache_";\n  servers = "${clamd.host}:${clamd.port}";\n}\n`);
  const fleet = await startFleet({
    configPath: conf,
    env: { AVFLEET_QUEUE_PREFIX: prefix, AVFLEET_REDIS_URL: queues.url, AVFLEET_REDIS_CLUSTER_NODES: cluster.seeds.join(','), AVFLEET_STORE: join(dir, 'store') },
  });
  const queueRedis = new Redis(queues.port, '127.0.0.1');
  let killed: number | null = null;
  try {
    const raw = Buffer.from(`From: a@example.org\r\nTo: b@example.org\r\nSubject: cluster\r\nMessage-ID: <cluster.${Date.now()}@avfleet.test>\r\n\r\n${EICAR_TEST_STRING}\r\n`, 'latin1');
    const scans: ScanResult[] = [];
    for (let i = 0; i < 2; i += 1) {
      const res = await fetch(`${fleet.apiUrl}/scans?wait=20`, { method: 'POST', body: raw, signal: AbortSignal.timeout(30000) });
      expect({ status: res.status, logs: res.status === 200 ? '' : fleet.logs() }).toEqual({ status: 200, logs: '' });
      scans.push((await res.json()) as ScanResult);
    }
    for (const r of scans) expect(r.action).toBe('reject');
    // Four more scans: the lanes take turns, so every lane (one per master) has had part jobs.
    for (let i = 0; i < 4; i += 1) {
      const res = await fetch(`${fleet.apiUrl}/scans?wait=20`, { method: 'POST', body: message(`lane-${i}`), signal: AbortSignal.timeout(30000) });
      expect(res.status).toBe(200);
    }
    // Results: on the cluster, readable through the API, none on AVFLEET_REDIS_URL's Redis.
    for (const r of scans) expect(JSON.parse((await client.get(resultKey(prefix, r.id))) ?? 'null')).toMatchObject({ id: r.id, action: 'reject' });
    expect((await fetch(`${fleet.apiUrl}/scans/${scans[0]!.id}`)).status).toBe(200);
    expect(await queueRedis.keys(`${prefix}:result:*`)).toEqual([]);
    // The signature version the worker published, and the cached verdict, are on the cluster's masters.
    expect(await client.get(sigverKey(prefix, 'clamav'))).not.toBeNull();
    const cached = (await Promise.all(client.nodes('master').map((n) => n.keys('avft_cluster_cache_*')))).flat();
    expect(cached.length).toBeGreaterThanOrEqual(1);
    expect(await queueRedis.keys('avft_cluster_cache_*')).toEqual([]);
    // The queues are on the cluster: three lanes, each under its own hash tag, each on another master; none on AVFLEET_REDIS_URL.
    expect(await queueRedis.dbsize()).toBe(0);
    const lanes = laneQueuePrefixes(prefix, 3, true);
    const masterOf = async (key: string): Promise<number> => (await masterHolding(key)).port;
    const laneMasters = await Promise.all(lanes.map((lane) => masterOf(`${lane}:clamav:events`)));
    expect(new Set(laneMasters).size).toBe(3);
    for (const lane of lanes) expect(await client.exists(`${lane}:clamav:events`)).toBe(1);
    // The worker samples the health of both: the queues' Redis and the cluster's three masters (sampled every 5 s; 2x + 1 s).
    let text = '';
    await waitUntil(async () => {
      text = await (await fetch(`${fleet.worker.baseUrl}/metrics`)).text();
      return /avfleet_redis_cluster_masters\{state="ok"\} 3\n/.test(text);
    }, { timeoutMs: 11000, intervalMs: 250, failureMessage: () => `no cluster health in the worker's metrics:\n${text}` });
    expect(text.match(/^avfleet_redis_memory_used_bytes\{/gm)).toHaveLength(3);
    expect(text).toMatch(/avfleet_queue_jobs\{queue="clamav",lane="2",state="waiting"\} 0\n/);
    expect(text).toMatch(/avfleet_redis_connected 1\n/);

    // A master failover under the running fleet: the master holding the first result is SIGKILLed
    // (after its replica acknowledged the result); scans go on, the result stays readable, logs stay JSON.
    const victim = await masterHolding(resultKey(prefix, scans[0]!.id));
    killed = victim.port;
    await cluster.kill(victim.port);
    const during = fetch(`${fleet.apiUrl}/scans?wait=20`, { method: 'POST', body: message('during-failover'), signal: AbortSignal.timeout(60000) });
    await cluster.waitUntilHealthy(FAILOVER_BOUND_MS);
    expect((await during).status).toBe(200);
    const after = await fetch(`${fleet.apiUrl}/scans/${scans[0]!.id}`);
    expect(after.status).toBe(200);
    expect(((await after.json()) as ScanResult).action).toBe('reject');
    const next = await fetch(`${fleet.apiUrl}/scans?wait=20`, { method: 'POST', body: message('after-failover'), signal: AbortSignal.timeout(30000) });
    expect(next.status).toBe(200);
    for (const proc of [fleet.producer, fleet.worker]) {
      const warnings = jsonLogLines(proc.logs()).filter((l) => (l.level ?? 0) >= 40).map((l) => l.msg);
      console.info(`${proc.role} warnings and errors through the failover: ${JSON.stringify(warnings)}`);
    }
  } finally {
    // The killed node rejoins as a replica: the cluster is whole again for the next test, whatever failed here.
    if (killed !== null) {
      await cluster.restart(killed);
      await cluster.waitUntilHealthy();
    }
    await fleet.stop();
    queueRedis.disconnect();
    client.disconnect();
    await queues.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('slots as Redis computes them; the oldest scan in progress is found on whichever master holds its state (store retention)', async () => {
  const client = clusterClient();
  try {
    for (const key of ['foo', '{avfleet-3}:clamav:wait', 'avft:result:01ABC', scanStateKey('avft-prune', 'X')]) {
      expect(keySlot(key)).toBe(Number(await client.cluster('KEYSLOT', key)));
    }
    const now = Date.now();
    const ids = [newScanId(now - 3_600_000), newScanId(now - 60_000), newScanId(now)];
    for (const id of ids) await client.hset(scanStateKey('avft-prune', id), { left: 1 });
    // Spread over masters: a SCAN of one node alone would miss some.
    const slots = ids.map((id) => keySlot(scanStateKey('avft-prune', id)));
    expect(new Set(slots).size).toBe(3);
    const oldest = await oldestPendingScanMs(client, 'avft-prune');
    expect(Math.abs((oldest ?? 0) - (now - 3_600_000))).toBeLessThan(1000);
    await Promise.all(ids.map((id) => client.del(scanStateKey('avft-prune', id))));
  } finally {
    client.disconnect();
  }
});

test('a SIGKILLed master is replaced by its replica; the health sample shows the failed master, then the state ok', async () => {
  const client = clusterClient();
  const registry = new Registry();
  const metrics = createFleetMetrics(registry, { defaultMetrics: false });
  try {
    // The victim is the master holding a key, written and acknowledged by its replica before the kill.
    await client.set('avft-cluster-probe', '1');
    const before = await cluster.nodes();
    const victim = await masterHolding('avft-cluster-probe');
    const replica = before.find((n) => n.masterId === victim.id)!;
    await cluster.kill(victim.port);
    const killedAt = Date.now();
    let promotedMs = -1;
    while (Date.now() - killedAt < FAILOVER_BOUND_MS) {
      const view = await cluster.nodes(replica.port).catch(() => []);
      const now = view.find((n) => n.id === replica.id);
      const ok = (await cluster.info(replica.port).catch(() => new Map<string, string>())).get('cluster_state') === 'ok';
      if (now?.role === 'master' && now.slots === victim.slots && ok) {
        promotedMs = Date.now() - killedAt;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(promotedMs).toBeGreaterThanOrEqual(0);
    console.info(`redis cluster: replica promoted ${promotedMs} ms after SIGKILL of its master (cluster-node-timeout ${CLUSTER_NODE_TIMEOUT_MS} ms)`);

    // Every running node agrees (each learns the promotion by gossip, within the bound): state ok.
    let seen: string[] = [];
    await waitUntil(async () => {
      seen = await Promise.all(cluster.ports.filter((p) => cluster.running(p)).map(async (p) => (await cluster.info(p)).get('cluster_state') ?? '?'));
      return seen.every((st) => st === 'ok');
    }, { timeoutMs: FAILOVER_BOUND_MS, intervalMs: 100, failureMessage: () => `cluster states after the promotion: ${JSON.stringify(seen)}` });
    // The client learns the new master from the slots map (refreshed on its own after MOVED or errors; here asked for).
    const knowsPromoted = (): boolean => client.nodes('master').some((n) => n.options.port === replica.port);
    for (let i = 0; i < 50 && !knowsPromoted(); i += 1) {
      client.refreshSlotsCache();
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(client.nodes('master').map((n) => n.options.port).sort()).toEqual(before.filter((n) => n.role === 'master' && n.id !== victim.id).map((n) => n.port).concat(replica.port).sort());
    await sampleRedisHealth([client], metrics);
    const text = await registry.metrics();
    expect(text).toMatch(/avfleet_redis_cluster_masters\{state="fail"\} 1\n/);
    expect(text).toMatch(/avfleet_redis_cluster_masters\{state="ok"\} 3\n/);
    expect(text).not.toMatch(/avfleet_redis_cluster_state_ok\{[^}]*\} 0\n/);
    expect(text.match(/^avfleet_redis_memory_used_bytes\{/gm)).toHaveLength(3);
    // The data on the killed master's slots survived on its replica (it was replicated before the kill).
    expect(await client.get('avft-cluster-probe')).toBe('1');
  } finally {
    client.disconnect();
  }
});
