import { Cluster } from 'ioredis';
import { scanIdTime } from '../contracts/scan-id';
import { scanStatePattern } from './queue-names';

/** The one Redis command this needs (ioredis' `scan … MATCH … COUNT`). */
export interface ScanKeysClient {
  scan(cursor: string, match: 'MATCH', pattern: string, count: 'COUNT', n: number): Promise<[string, string[]]>;
}

/**
 * When the oldest scan still in progress was accepted (ms since the epoch), or null when
 * none is. A scan is in progress while its state exists (queue/scan-state.ts: written
 * before its part jobs, removed when it is aggregated or cancelled), and its id (a ULID)
 * carries its time: one SCAN over the state keys (on a Redis Cluster, over every master:
 * the state keys are spread by scan id), at each prune, and no Redis command per message.
 */
export async function oldestPendingScanMs(redis: ScanKeysClient, queuePrefix: string): Promise<number | null> {
  const pattern = scanStatePattern(queuePrefix);
  let oldest: number | null = null;
  // A Cluster client knows its masters once connected (the PING waits for that).
  if (redis instanceof Cluster) await redis.ping();
  const servers: ScanKeysClient[] = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const server of servers) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const ms = scanIdTime(key.slice(key.lastIndexOf('{') + 1, -1));
        if (ms !== null && (oldest === null || ms < oldest)) oldest = ms;
      }
    } while (cursor !== '0');
  }
  return oldest;
}
