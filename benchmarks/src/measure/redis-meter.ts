import Redis from 'ioredis';

/** Parses `INFO commandstats` into command → calls. */
export function parseCommandStats(info: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of info.split(/\r?\n/)) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** The bench's Redis handle: command counting, the server pid, and prefix cleanup. */
export class RedisMeter {
  readonly redis: Redis;
  private before = new Map<string, number>();

  constructor(url: string) {
    this.redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2 });
  }

  /** Pid of the Redis server (to read its /proc entries), or null when it is not local. */
  async serverPid(): Promise<number | null> {
    const m = /^process_id:(\d+)/m.exec(await this.redis.info('server'));
    return m ? Number(m[1]) : null;
  }

  async startCounting(): Promise<void> {
    this.before = parseCommandStats(await this.redis.info('commandstats'));
  }

  /**
   * Commands run since startCounting, by command, without the meter's own INFO calls.
   * Counts the whole server: other clients of a shared Redis add to it.
   */
  async stopCounting(): Promise<{ total: number; byCommand: Record<string, number> }> {
    const after = parseCommandStats(await this.redis.info('commandstats'));
    const byCommand: Record<string, number> = {};
    let total = 0;
    for (const [cmd, calls] of after) {
      let d = calls - (this.before.get(cmd) ?? 0);
      if (cmd === 'info') d -= 1;
      if (d > 0) {
        byCommand[cmd] = d;
        total += d;
      }
    }
    return { total, byCommand };
  }

  /** The server's `used_memory` (bytes): every client's data, not only the bench's. */
  async usedMemory(): Promise<number> {
    const m = /^used_memory:(\d+)/m.exec(await this.redis.info('memory'));
    return m ? Number(m[1]) : 0;
  }

  /** Number of keys under `prefix` (SCAN; the bench's prefixes hold a few thousand at most). */
  async countKeys(prefix: string): Promise<number> {
    let cursor = '0';
    let n = 0;
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      n += keys.length;
    } while (cursor !== '0');
    return n;
  }

  /** Deletes every key under `prefix` (SCAN + UNLINK). Refuses prefixes not made by the bench. */
  async cleanup(prefix: string): Promise<number> {
    if (!prefix.startsWith('avfb') || prefix.length < 8) throw new Error(`AVF_ERR_BENCH_PREFIX: refusing to delete keys under '${prefix}'`);
    let cursor = '0';
    let removed = 0;
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) removed += await this.redis.unlink(...keys);
    } while (cursor !== '0');
    return removed;
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}
