import { Registry } from 'prom-client';
import { createFleetMetrics } from './fleet-metrics';
import { countClusterMasters, parseInfoFields, recordRedisHealth, type RedisNodeHealth } from './sample-redis-health';

// CLUSTER NODES of a 3-master cluster after 127.0.0.1:7001 was SIGKILLed and its replica (:7004) took over.
const NODES_AFTER_FAILOVER = [
  'a1 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460',
  'b2 127.0.0.1:7001@17001 master,fail - 1700000000000 1700000000000 2 disconnected',
  'c3 127.0.0.1:7002@17002 master - 0 1700000001000 3 connected 10923-16383',
  'd4 127.0.0.1:7003@17003 slave a1 0 1700000001000 1 connected',
  'e5 127.0.0.1:7004@17004 master - 0 1700000001000 7 connected 5461-10922',
  'f6 127.0.0.1:7005@17005 slave c3 0 1700000001000 3 connected',
  '',
].join('\n');

describe('reading Redis health', () => {
  it('parses INFO fields, ignoring section headers', () => {
    const f = parseInfoFields('# Memory\r\nused_memory:1048576\r\nmaxmemory:0\r\nmaxmemory_policy:noeviction\r\n\r\n# Cluster\r\ncluster_enabled:0\r\n');
    expect([...f]).toEqual([['used_memory', '1048576'], ['maxmemory', '0'], ['maxmemory_policy', 'noeviction'], ['cluster_enabled', '0']]);
  });

  it('counts masters serving slots as ok and masters flagged fail or fail? as failed', () => {
    expect(countClusterMasters(NODES_AFTER_FAILOVER)).toEqual({ ok: 3, failed: 1 });
    expect(countClusterMasters(NODES_AFTER_FAILOVER.replace('master,fail ', 'master,fail? '))).toEqual({ ok: 3, failed: 1 });
    // A master that holds no slot (just added, not yet given slots) is neither.
    expect(countClusterMasters('x 127.0.0.1:7009@17009 master - 0 0 0 connected\n')).toEqual({ ok: 0, failed: 0 });
  });

  it('records one series per node and policy, replacing a policy that changed; cluster series only on a cluster', async () => {
    const registry = new Registry();
    const metrics = createFleetMetrics(registry, { defaultMetrics: false });
    const node = (over: Partial<RedisNodeHealth> = {}): RedisNodeHealth => ({
      node: '10.0.0.1:6379', usedMemoryBytes: 800, maxMemoryBytes: 1000, maxmemoryPolicy: 'noeviction', cluster: null, ...over,
    });
    recordRedisHealth([node()], metrics);
    recordRedisHealth([node({ maxmemoryPolicy: 'allkeys-lru' })], metrics);
    const text = await registry.metrics();
    expect(text).toMatch(/avfleet_redis_memory_used_bytes\{node="10.0.0.1:6379"\} 800\n/);
    expect(text).toMatch(/avfleet_redis_memory_max_bytes\{node="10.0.0.1:6379"\} 1000\n/);
    expect(text).toMatch(/avfleet_redis_maxmemory_policy_info\{node="10.0.0.1:6379",policy="allkeys-lru"\} 1\n/);
    expect(text).not.toMatch(/policy="noeviction"/);
    expect(text).not.toMatch(/^avfleet_redis_cluster_/m);

    recordRedisHealth([
      node({ node: '127.0.0.1:7000', cluster: { stateOk: true, mastersOk: 3, mastersFailed: 1 } }),
      node({ node: '127.0.0.1:7002', cluster: { stateOk: false, mastersOk: 2, mastersFailed: 0 } }),
    ], metrics);
    const clustered = await registry.metrics();
    expect(clustered).toMatch(/avfleet_redis_cluster_state_ok\{node="127.0.0.1:7000"\} 1\n/);
    expect(clustered).toMatch(/avfleet_redis_cluster_state_ok\{node="127.0.0.1:7002"\} 0\n/);
    expect(clustered).toMatch(/avfleet_redis_cluster_masters\{state="fail"\} 1\n/);
    expect(clustered).toMatch(/avfleet_redis_cluster_masters\{state="ok"\} 3\n/);
  });
});
