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

/**
 * The bench's Redis handle: command counting, the server pid, and prefix cleanup. With
 * `clusterNodes` (`--redis-cluster`), `redis` is the seed node and the counting and
 * cleanup cover every master of the cluster (open() finds them).
 */
export class RedisMeter {
  readonly redis: Redis;
  /** Every server counted: the one Redis, or each master of the cluster (after open()). */
  private servers: { readonly address: string; readonly redis: Redis }[];
  private before = new Map<string, Map<string, number>>();
  private cpuBefore = new Map<string, number>();

  constructor(url: string, readonly clusterNodes: string | null = null) {
    const seed = clusterNodes?.split(',')[0]?.trim();
    this.redis = seed ? new Redis(Number(seed.split(':').pop()), seed.slice(0, seed.lastIndexOf(':')), { maxRetriesPerRequest: 2 }) : new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2 });
    this.servers = [{ address: seed ?? url, redis: this.redis }];
  }

  /** On a cluster: connects to every master serving slots (CLUSTER SLOTS). */
  async open(): Promise<void> {
    if (!this.clusterNodes) return;
    const ranges = (await this.redis.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const addresses = [...new Set(ranges.map(([, , [host, port]]) => `${host}:${port}`))].sort();
    this.servers = addresses.map((address) => ({ address, redis: new Redis(Number(address.split(':').pop()), address.slice(0, address.lastIndexOf(':')), { maxRetriesPerRequest: 2 }) }));
  }

  /** Pid of the Redis server (to read its /proc entries), or null when it is not local or a cluster. */
  async serverPid(): Promise<number | null> {
    if (this.clusterNodes) return null;
    const m = /^process_id:(\d+)/m.exec(await this.redis.info('server'));
    return m ? Number(m[1]) : null;
  }

  async startCounting(): Promise<void> {
    this.before = new Map(await Promise.all(this.servers.map(async (s) => [s.address, parseCommandStats(await s.redis.info('commandstats'))] as const)));
    this.cpuBefore = new Map(await Promise.all(this.servers.map(async (s) => [s.address, cpuSecOf(await s.redis.info('cpu'))] as const)));
  }

  /**
   * Commands run since startCounting, by command and by server (each master of a cluster),
   * without the meter's own INFO calls. Counts the whole server: other clients of a shared
   * Redis add to it.
   */
  async stopCounting(): Promise<{ total: number; byCommand: Record<string, number>; byServer: Record<string, number>; cpuSecByServer: Record<string, number> }> {
    const byCommand: Record<string, number> = {};
    const byServer: Record<string, number> = {};
    const cpuSecByServer: Record<string, number> = {};
    for (const server of this.servers) cpuSecByServer[server.address] = cpuSecOf(await server.redis.info('cpu')) - (this.cpuBefore.get(server.address) ?? 0);
    let total = 0;
    for (const server of this.servers) {
      const after = parseCommandStats(await server.redis.info('commandstats'));
      const before = this.before.get(server.address) ?? new Map<string, number>();
      let n = 0;
      for (const [cmd, calls] of after) {
        let d = calls - (before.get(cmd) ?? 0);
        if (cmd === 'info') d -= 1;
        if (d > 0) {
          byCommand[cmd] = (byCommand[cmd] ?? 0) + d;
          n += d;
        }
      }
      byServer[server.address] = n;
      total += n;
    }
    return { total, byCommand, byServer, cpuSecByServer };
  }

  /** The server's `used_memory` (bytes): every client's data, not only the bench's. */
  async usedMemory(): Promise<number> {
    const m = /^used_memory:(\d+)/m.exec(await this.redis.info('memory'));
    return m ? Number(m[1]) : 0;
  }

  /** Number of keys under `prefix` (SCAN on every server; the bench's prefixes hold a few thousand at most). */
  async countKeys(prefix: string): Promise<number> {
    let n = 0;
    for (const server of this.servers) for (const pattern of patternsOf(prefix)) {
      let cursor = '0';
      do {
        const [next, keys] = await server.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        n += keys.length;
      } while (cursor !== '0');
    }
    return n;
  }

  /** Deletes every key under `prefix` (SCAN + UNLINK on every server, one key at a time on a cluster). Refuses prefixes not made by the bench. */
  async cleanup(prefix: string): Promise<number> {
    if (!prefix.startsWith('avfb') || prefix.length < 8) throw new Error(`AVF_ERR_BENCH_PREFIX: refusing to delete keys under '${prefix}'`);
    let removed = 0;
    for (const server of this.servers) for (const pattern of patternsOf(prefix)) {
      let cursor = '0';
      do {
        const [next, keys] = await server.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) removed += await server.redis.unlink(key).catch(() => 0);
      } while (cursor !== '0');
    }
    return removed;
  }

  async close(): Promise<void> {
    await Promise.all([this.redis, ...this.servers.map((s) => s.redis)].map((r) => r.quit().catch(() => undefined)));
  }
}

/** The key patterns of a bench prefix: its own keys, and its queue lanes' (`{<prefix>-<k>}:…`, queue/queue-lanes.ts). */
function patternsOf(prefix: string): string[] {
  return [`${prefix}*`, `{${prefix}*`];
}

/** The server's own CPU time (main thread and children), from INFO cpu. */
function cpuSecOf(info: string): number {
  const field = (name: string): number => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? 0);
  return field('used_cpu_sys') + field('used_cpu_user');
}
