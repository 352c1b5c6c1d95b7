import type { Redis } from 'ioredis';
import { RefreshedValue, type Scanner } from '@avfleet/scanners';
import type { Logger } from '../observe/logger';
import { LuaScript, type ScriptRedis } from '../queue/lua-script';
import { sigverKey } from '../queue/queue-names';

/**
 * The signature-version protocol between workers and producers. A worker asks its scanner
 * (clamd `VERSION`) and publishes the answer under `<prefix>:sigver:<rule>`; a producer
 * reads it to build the same verdict-cache keys the workers use, so it can answer a fully
 * cached message without a flow. No published version: the producer leaves the lookup to
 * the worker. Both sides live here so they cannot drift apart.
 */

/** How long a published signature version stays valid without a refresh (s). */
export const SIGVER_TTL_SEC = 120;
/** How often a worker publishes (ms). */
export const SIGVER_PUBLISH_INTERVAL_MS = 30_000;
/** How long a producer keeps what it read (ms). */
export const SIGVER_READ_TTL_MS = 5000;

// KEYS: the version key. ARGV: version, TTL (s). SET … EX, answering the value it replaced (SET's GET option needs Redis 6.2; this runs on any).
const SWAP_VERSION = new LuaScript(`
local old = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
return old
`, 1);

/** The versions the workers last published, read for all rules at once and kept for SIGVER_READ_TTL_MS. */
export class SignatureVersions {
  private readonly all: RefreshedValue<ReadonlyMap<string, string | null>>;

  constructor(redis: Pick<Redis, 'get'>, queuePrefix: string, rules: readonly string[], ttlMs = SIGVER_READ_TTL_MS) {
    this.all = new RefreshedValue(async () => {
      // One GET per rule (pipelined by the client), not MGET: on a Redis Cluster the rules' keys lie in different slots.
      const values = await Promise.all(rules.map((r) => redis.get(sigverKey(queuePrefix, r))));
      return new Map(rules.map((r, i) => [r, values[i] ?? null]));
    }, { ttlMs });
  }

  /** The published version of `rule`, or null when none is published. Rejects when Redis does not answer. */
  async get(rule: string): Promise<string | null> {
    return (await this.all.get()).get(rule) ?? null;
  }
}

/**
 * Publishes each served rule's signature version every `intervalMs`. A scanner without
 * versions publishes `0`; one that cannot be reached publishes nothing (producers then
 * enqueue, and the worker looks the cache up itself). Returns a stop function.
 */
export function publishSignatureVersions(
  redis: Pick<Redis, 'set'> & ScriptRedis, queuePrefix: string, scanners: ReadonlyMap<string, Scanner>, logger: Logger, intervalMs = SIGVER_PUBLISH_INTERVAL_MS,
  /** Told when this publication replaced a different version (one script: the one worker whose write changed it is told; the retro-scan's trigger). */
  onChange?: (rule: string, previous: string, current: string) => void,
): () => void {
  const publish = async (): Promise<void> => {
    for (const [rule, scanner] of scanners) {
      try {
        const v = scanner.signatureVersion ? await scanner.signatureVersion() : null;
        const current = v ?? '0';
        if (!onChange) {
          await redis.set(sigverKey(queuePrefix, rule), current, 'EX', SIGVER_TTL_SEC);
          continue;
        }
        const previous = (await SWAP_VERSION.run(redis, sigverKey(queuePrefix, rule), current, String(SIGVER_TTL_SEC))) as string | null;
        if (previous !== null && previous !== current) onChange(rule, previous, current);
      } catch (err) {
        logger.debug({ rule, err: (err as Error).message }, 'signature version not published');
      }
    }
  };
  void publish();
  const timer = setInterval(() => void publish(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
