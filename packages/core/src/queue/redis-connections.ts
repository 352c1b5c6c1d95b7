import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { FleetSettings } from '@avfleet/config';
import type { Logger } from '../observe/logger';
import { watchRedisConnection, type RedisConnectionWatch, type WatchRedisOptions } from '../observe/watch-redis-connection';

/** A process's Redis connections (openRedisConnections). */
export interface RedisConnections {
  /** BullMQ's: the queues (AVFLEET_REDIS_URL, or the Redis Cluster of AVFLEET_REDIS_CLUSTER_NODES). */
  readonly bull: Redis | Cluster;
  /**
   * Commands the request path waits on, failing fast: scan states, queue depths, readiness,
   * the prune lock — and the verdict cache, stored results and signature versions. On a
   * Redis Cluster one ioredis Cluster client; keys a command or script uses together share
   * a hash slot (queue/queue-names.ts, queue/queue-lanes.ts).
   */
  readonly commands: Redis | Cluster;
  /** The same client as `commands` (the key-value data: verdict cache, results, signature versions). */
  readonly keyValue: Redis | Cluster;
  /** True on a Redis Cluster (AVFLEET_REDIS_CLUSTER_NODES). */
  readonly clustered: boolean;
  readonly watch: RedisConnectionWatch;
  /** For readiness: PING (on a cluster, the client's PING: a node answering). */
  ping(): Promise<unknown>;
  /**
   * A connection for adding jobs that never queues a command for later: a refused
   * submission cannot land in a queue when Redis returns. On a cluster, a Cluster client
   * that retries within its redirection bound (a failover in progress), as BullMQ's own.
   */
  enqueueConnection(): Redis | Cluster;
}

/** Fail fast: the producer answers 503 instead of hanging while Redis is down. */
const FAST_COMMANDS: RedisOptions = { connectTimeout: 5000, maxRetriesPerRequest: 1, commandTimeout: 5000, enableOfflineQueue: true };
const retryDelayMs = (times: number): number => Math.min(times * 200, 2000);

/**
 * The connections of a producer or worker process: BullMQ's (blocking commands, retries
 * forever, `maxRetriesPerRequest: null` as BullMQ requires) and one for commands the
 * request path waits on, which fails fast — each a plain ioredis client on
 * AVFLEET_REDIS_URL, or an ioredis Cluster over AVFLEET_REDIS_CLUSTER_NODES when set (every
 * Redis use then goes through the cluster). All are watched: an outage is logged once when
 * it starts and once when it ends (`watch`; every other client and BullMQ object of the
 * process hands its errors to `watch.absorb`).
 */
export function openRedisConnections(settings: Pick<FleetSettings, 'redisUrl' | 'redisClusterNodes'>, observe: WatchRedisOptions): RedisConnections {
  const url = settings.redisUrl;
  const nodes = settings.redisClusterNodes;
  const bull = nodes ? openCluster(url, nodes, BULL_OPTIONS) : new Redis(url, { lazyConnect: false, ...BULL_OPTIONS });
  const commands = nodes ? openCluster(url, nodes, FAST_COMMANDS) : new Redis(url, { ...FAST_COMMANDS, enableAutoPipelining: true, retryStrategy: retryDelayMs });
  // Errors of the calls that fail are reported by their callers; connection errors become the watch's lost/back lines.
  const watch = watchRedisConnection([bull, commands], observe);
  const enqueueConnection = (): Redis | Cluster => {
    const c = nodes
      ? openCluster(url, nodes, { ...FAST_COMMANDS, commandTimeout: ENQUEUE_COMMAND_TIMEOUT_MS }, { enableOfflineQueue: false })
      : (bull as Redis).duplicate({ enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    watch.absorb(c, 'enqueue connection');
    return c;
  };
  return { bull, commands, keyValue: commands, clustered: nodes !== null, watch, ping: () => commands.ping(), enqueueConnection };
}

type ClusterNode = { host: string; port: number };

/** BullMQ's connections: no command given up (BullMQ retries its own loops), ready checks. */
const BULL_OPTIONS: RedisOptions = { connectTimeout: 5000, maxRetriesPerRequest: null, enableReadyCheck: true };

/** One attempt of an enqueue command on a cluster node; the cluster's redirections and retries stay within INTAKE_TIMEOUT_MS. */
const ENQUEUE_COMMAND_TIMEOUT_MS = 3000;

/**
 * An ioredis Cluster from seed nodes, with AVFLEET_REDIS_URL's user, password and TLS
 * (rediss:) for every node. A failover (a master lost, its replica promoted after
 * cluster-node-timeout) is ridden through: a command to the lost master is tried again
 * every 200 ms (each try of the lost master and its redirection count against `maxRedirections`), for about 10 s, while the
 * client refreshes its slot map.
 */
export function openCluster(url: string, nodes: readonly ClusterNode[], nodeOptions: RedisOptions, clusterOptions: ClusterOptions = {}): Cluster {
  const u = new URL(url);
  const credentials: RedisOptions = {
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  return new Cluster(nodes.map((n) => ({ host: n.host, port: n.port })), {
    redisOptions: { ...nodeOptions, ...credentials },
    enableAutoPipelining: true,
    enableOfflineQueue: true,
    clusterRetryStrategy: retryDelayMs,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 200,
    maxRedirections: 100,
    slotsRefreshTimeout: 2000,
    ...clusterOptions,
  });
}

/** One connection for a command-line run: a few commands, no reconnecting after a failure (the command reports it and exits); a Cluster client on a Redis Cluster. */
export function openOneShotRedis(settings: Pick<FleetSettings, 'redisUrl' | 'redisClusterNodes'>): Redis | Cluster {
  const options: RedisOptions = { connectTimeout: 5000, commandTimeout: 5000, maxRetriesPerRequest: 1, retryStrategy: () => null };
  const redis = settings.redisClusterNodes
    ? openCluster(settings.redisUrl, settings.redisClusterNodes, options, { clusterRetryStrategy: () => null })
    : new Redis(settings.redisUrl, options);
  redis.on('error', () => undefined);
  return redis;
}

/** BullMQ loses jobs when Redis evicts keys: warn loudly unless maxmemory-policy is noeviction (on a cluster, on any master). */
export async function checkEvictionPolicy(redis: Redis | Cluster, logger: Logger): Promise<void> {
  const servers = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const server of servers) {
    try {
      const reply = (await server.config('GET', 'maxmemory-policy')) as string[];
      const policy = reply[1];
      if (policy && policy !== 'noeviction') {
        logger.warn({ policy }, `Redis maxmemory-policy is '${policy}': an evicted job key is a lost message; set 'maxmemory-policy noeviction'`);
        return;
      }
    } catch {
      // CONFIG may be disabled (managed Redis); nothing to check then.
    }
  }
}
