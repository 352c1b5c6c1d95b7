import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';

/** The part of an ioredis client (or cluster node) that cleanupPrefix needs. */
export interface ScanDeleteClient {
  scan(cursor: string | number, matchToken: 'MATCH', pattern: string, countToken: 'COUNT', count: number): Promise<[string, string[]]>;
  unlink(...keys: string[]): Promise<number>;
}

/**
 * A Redis key prefix unique to this test file and run, e.g.
 * `avft:queue-flow:1a2b3c4d:` for testPrefix('queue-flow.int.test.ts').
 * Use it as BullMQ's `prefix` (without the trailing colon: `prefix.slice(0, -1)`)
 * or in front of your own keys; remove everything with cleanupPrefix in afterAll.
 */
export function testPrefix(name: string): string {
  const slug =
    basename(name)
      .replace(/\.(int\.)?test\.[cm]?[jt]s$/, '')
      .replace(/[^A-Za-z0-9_-]+/g, '-')
      .slice(0, 40) || 'test';
  return `avft:${slug}:${process.pid.toString(36)}${randomBytes(4).toString('hex')}:`;
}

/**
 * Deletes every key starting with `prefix` (SCAN + UNLINK in batches, never KEYS) and
 * returns how many were removed. Refuses prefixes that are not testPrefix-like so a
 * slip cannot wipe a shared database.
 */
export async function cleanupPrefix(redis: ScanDeleteClient, prefix: string): Promise<number> {
  if (!prefix.startsWith('avft:') || prefix.length < 10) {
    throw new Error(`AVF_ERR_TEST_PREFIX: refusing to delete keys under '${prefix}'; pass a prefix made by testPrefix()`);
  }
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let cursor = '0';
  let removed = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) removed += await redis.unlink(...keys);
  } while (cursor !== '0');
  return removed;
}

/**
 * An afterAll body for a suite that owns a Redis client: runs `teardown` (stop processes,
 * cleanupPrefix, remove folders), then disconnects the client whatever `teardown` threw, so a
 * failing suite never leaves an open connection that keeps jest from exiting.
 */
export async function teardownThenDisconnect(redis: { disconnect(): void }, teardown: () => Promise<void>): Promise<void> {
  try {
    await teardown();
  } finally {
    redis.disconnect();
  }
}
