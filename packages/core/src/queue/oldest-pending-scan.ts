import { AGGREGATE_QUEUE } from './queue-names';

/** The one Redis command this needs (ioredis' `zrange … WITHSCORES`). */
export interface ZRangeClient {
  zrange(key: string, start: number, stop: number, withScores: 'WITHSCORES'): Promise<string[]>;
}

/**
 * When the oldest scan still in progress was enqueued (ms since the epoch), or
 * null when none is. A scan is in progress while its parent job waits on
 * `aggregate` for its children: BullMQ keeps those parents in the
 * `waiting-children` sorted set scored by the job's creation time, so the
 * first member is the oldest scan whose scan jobs may still read the store.
 */
export async function oldestPendingScanMs(redis: ZRangeClient, queuePrefix: string): Promise<number | null> {
  const first = await redis.zrange(`${queuePrefix}:${AGGREGATE_QUEUE}:waiting-children`, 0, 0, 'WITHSCORES');
  if (first.length < 2) return null;
  const ms = Number(first[1]);
  return Number.isFinite(ms) ? ms : null;
}
