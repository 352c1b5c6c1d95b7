import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { FleetSettings } from '@avfleet/config';
import type { Logger } from '../observe/logger';
import { watchRedisConnection, type RedisConnectionWatch, type WatchRedisOptions } from '../observe/watch-redis-connection';

/** A process's Redis connections (openRedisConnections). */
export interface RedisConnections {
  /** BullMQ's: the queues (AVFLEET_REDIS_URL). */
  readonly bull: Redis;
  /** Commands the request path waits on, next to the queues (queue depths, readiness, the prune lock). */
  readonly commands: Redis;
  /**
   * The verdict cache, stored results and signature versions: an ioredis Cluster over
   * AVFLEET_REDIS_CLUSTER_NODES when set, else `commands`. Keys a command or script uses
   * together share a hash slot (queue/queue-names.ts).
   */
  readonly keyValue: Redis | Cluster;
  readonly watch: RedisConnectionWatch;
  /** For readiness: PING on `commands` and, on a cluster, on `keyValue` (rejects when either fails). */
  ping(): Promise<unknown>;
}

/** Fail fast: the producer answers 503 instead of hanging while Redis is down. */
const FAST_COMMANDS: RedisOptions = { connectTimeout: 5000, maxRetriesPerRequest: 1, commandTimeout: 5000, enableOfflineQueue: true };
const retryDelayMs = (times: number): number => Math.min(times * 200, 2000);

/**
 * The connections of a producer or worker process: BullMQ's (blocking commands, retries
 * forever, `maxRetriesPerRequest: null` as BullMQ requires), one for commands the request
 * path waits on, which fails fast, and — on a Redis Cluster — a Cluster client for the
 * key-value data. All are watched: an outage is logged once when it starts and once when it
 * ends (`watch`; every other client and BullMQ object of the process hands its errors to
 * `watch.absorb`).
 */
export function openRedisConnections(settings: Pick<FleetSettings, 'redisUrl' | 'redisClusterNodes'>, observe: WatchRedisOptions): RedisConnections {
  const url = settings.redisUrl;
  const bull = new Redis(url, { lazyConnect: false, connectTimeout: 5000, maxRetriesPerRequest: null, enableReadyCheck: true });
  const commands = new Redis(url, { ...FAST_COMMANDS, enableAutoPipelining: true, retryStrategy: retryDelayMs });
  const keyValue = settings.redisClusterNodes ? openCluster(url, settings.redisClusterNodes) : commands;
  // Errors of the calls that fail are reported by their callers; connection errors become the watch's lost/back lines.
  const watched = keyValue === commands ? [bull, commands] : [bull, commands, keyValue];
  const ping = (): Promise<unknown> => Promise.all([commands.ping(), ...(keyValue === commands ? [] : [keyValue.ping()])]);
  return { bull, commands, keyValue, watch: watchRedisConnection(watched, observe), ping };
}

/** An ioredis Cluster from seed nodes, with AVFLEET_REDIS_URL's user, password and TLS (rediss:) for every node. */
export function openCluster(url: string, nodes: NonNullable<FleetSettings['redisClusterNodes']>): Cluster {
  const u = new URL(url);
  const credentials: RedisOptions = {
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  return new Cluster(nodes.map((n) => ({ host: n.host, port: n.port })), {
    redisOptions: { ...FAST_COMMANDS, ...credentials },
    enableAutoPipelining: true,
    enableOfflineQueue: true,
    clusterRetryStrategy: retryDelayMs,
  });
}

/** One connection for a command-line run: a few commands, no reconnecting after a failure (the command reports it and exits). */
export function openOneShotRedis(url: string): Redis {
  const redis = new Redis(url, { connectTimeout: 5000, commandTimeout: 5000, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => undefined);
  return redis;
}

/** BullMQ loses jobs when Redis evicts keys: warn loudly unless maxmemory-policy is noeviction. */
export async function checkEvictionPolicy(redis: Redis, logger: Logger): Promise<void> {
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
    const policy = reply[1];
    if (policy && policy !== 'noeviction') {
      logger.warn({ policy }, `Redis maxmemory-policy is '${policy}': an evicted job key is a lost message; set 'maxmemory-policy noeviction'`);
    }
  } catch {
    // CONFIG may be disabled (managed Redis); nothing to check then.
  }
}
