import type { Cluster, Redis } from 'ioredis';
import type { FleetMetrics } from './fleet-metrics';

/** What one Redis server reports about its memory and, in a cluster, the cluster. */
export interface RedisNodeHealth {
  /** `host:port` as the client knows it (the configured address, or a cluster master's). */
  readonly node: string;
  readonly usedMemoryBytes: number;
  /** 0: no limit. */
  readonly maxMemoryBytes: number;
  readonly maxmemoryPolicy: string;
  /** Cluster only: what CLUSTER INFO and CLUSTER NODES say on this node. */
  readonly cluster: { readonly stateOk: boolean; readonly mastersOk: number; readonly mastersFailed: number } | null;
}

/** `key:value` lines of INFO or CLUSTER INFO. */
export function parseInfoFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) fields.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  return fields;
}

/**
 * Masters in CLUSTER NODES, by state: `ok` — serves slots and is not flagged failing;
 * `fail` — flagged `fail` or `fail?` (pfail), slots or not (a master whose replica took
 * over stays listed as a failed master until it comes back as a replica or is forgotten).
 */
export function countClusterMasters(nodesText: string): { ok: number; failed: number } {
  let ok = 0;
  let failed = 0;
  for (const line of nodesText.split('\n')) {
    const fields = line.trim().split(' ');
    const flags = (fields[2] ?? '').split(',');
    if (!flags.includes('master')) continue;
    if (flags.includes('fail') || flags.includes('fail?')) failed += 1;
    else if (fields.length > 8) ok += 1;
  }
  return { ok, failed };
}

/** One server's health: INFO memory, and CLUSTER INFO / CLUSTER NODES when it runs in cluster mode. */
export async function readRedisNodeHealth(redis: Redis): Promise<RedisNodeHealth> {
  const info = parseInfoFields(await redis.info('memory') + '\n' + await redis.info('cluster'));
  let cluster: RedisNodeHealth['cluster'] = null;
  if (info.get('cluster_enabled') === '1') {
    const clusterInfo = parseInfoFields(String(await redis.call('CLUSTER', 'INFO')));
    const masters = countClusterMasters(String(await redis.call('CLUSTER', 'NODES')));
    cluster = { stateOk: clusterInfo.get('cluster_state') === 'ok', mastersOk: masters.ok, mastersFailed: masters.failed };
  }
  const { host, port, path } = redis.options;
  return {
    node: path ? path : `${host ?? '127.0.0.1'}:${port ?? 6379}`,
    usedMemoryBytes: Number(info.get('used_memory') ?? 0),
    maxMemoryBytes: Number(info.get('maxmemory') ?? 0),
    maxmemoryPolicy: info.get('maxmemory_policy') ?? 'unknown',
    cluster,
  };
}

/** Sets the avfleet_redis_* gauges from one sample of every node (replacing the previous sample: a node or policy gone leaves no series). */
export function recordRedisHealth(nodes: readonly RedisNodeHealth[], metrics: FleetMetrics): void {
  metrics.redisMemoryUsed.reset();
  metrics.redisMemoryMax.reset();
  metrics.redisMaxmemoryPolicy.reset();
  metrics.redisClusterStateOk.reset();
  metrics.redisClusterMasters.reset();
  let mastersOk = 0;
  let mastersFailed = 0;
  let clustered = false;
  for (const n of nodes) {
    metrics.redisMemoryUsed.set({ node: n.node }, n.usedMemoryBytes);
    metrics.redisMemoryMax.set({ node: n.node }, n.maxMemoryBytes);
    metrics.redisMaxmemoryPolicy.set({ node: n.node, policy: n.maxmemoryPolicy }, 1);
    if (!n.cluster) continue;
    clustered = true;
    metrics.redisClusterStateOk.set({ node: n.node }, n.cluster.stateOk ? 1 : 0);
    // Every node has its own view of the cluster: the worst one counts.
    mastersOk = Math.max(mastersOk, n.cluster.mastersOk);
    mastersFailed = Math.max(mastersFailed, n.cluster.mastersFailed);
  }
  if (clustered) {
    metrics.redisClusterMasters.set({ state: 'ok' }, mastersOk);
    metrics.redisClusterMasters.set({ state: 'fail' }, mastersFailed);
  }
}

/** The servers to sample: the one of a plain connection, or every master a Cluster client knows. */
function nodesOf(redis: Redis | Cluster): Redis[] {
  return 'nodes' in redis && typeof redis.nodes === 'function' ? redis.nodes('master') : [redis as Redis];
}

/**
 * Reads the health of every node of `connections` (each Redis once: the queues' Redis and,
 * on a cluster, every master) and records it; a failed read leaves the previous sample
 * (avfleet_redis_connected tells an outage).
 */
export async function sampleRedisHealth(connections: readonly (Redis | Cluster)[], metrics: FleetMetrics): Promise<void> {
  const servers = new Map<string, Redis>();
  for (const c of new Set(connections)) {
    for (const node of nodesOf(c)) servers.set(`${node.options.host}:${node.options.port}:${node.options.path ?? ''}`, node);
  }
  recordRedisHealth(await Promise.all([...servers.values()].map(readRedisNodeHealth)), metrics);
}
