import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../observe/logger';
import { watchRedisConnection, type RedisConnectionWatch, type WatchRedisOptions } from '../observe/watch-redis-connection';

/**
 * Two connections per process: BullMQ's (blocking commands, retries forever,
 * `maxRetriesPerRequest: null` as BullMQ requires) and one for commands the
 * request path waits on (cache, results), which fails fast so the producer can
 * answer 503 instead of hanging while Redis is down. Both are watched: an outage
 * is logged once when it starts and once when it ends (`watch`; every other client
 * and BullMQ object of the process hands its errors to `watch.absorb`).
 */
export function openRedisConnections(url: string, observe: WatchRedisOptions): { bull: Redis; commands: Redis; watch: RedisConnectionWatch } {
  const base: RedisOptions = { lazyConnect: false, connectTimeout: 5000 };
  const bull = new Redis(url, { ...base, maxRetriesPerRequest: null, enableReadyCheck: true });
  const commands = new Redis(url, {
    ...base,
    maxRetriesPerRequest: 1,
    enableAutoPipelining: true,
    enableOfflineQueue: true,
    commandTimeout: 5000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  // Errors of the calls that fail are reported by their callers; connection errors become the watch's lost/back lines.
  return { bull, commands, watch: watchRedisConnection([bull, commands], observe) };
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
