import type { Redis } from 'ioredis';
import { sigverKey, type Logger } from '@avfleet/core';
import type { Scanner } from '@avfleet/scanners';

/** How long a published signature version stays valid without a refresh. */
const SIGVER_TTL_SEC = 120;

/**
 * Publishes each served rule's signature version (clamd `VERSION`) under
 * `<prefix>:sigver:<rule>` so producers can build verdict-cache keys and answer
 * fully cached messages without a flow. A scanner without versions publishes
 * `0`; one that cannot be reached publishes nothing (producers then enqueue).
 * Returns a stop function.
 */
export function publishSignatureVersions(
  redis: Redis, queuePrefix: string, scanners: ReadonlyMap<string, Scanner>, logger: Logger, intervalMs = 30_000,
): () => void {
  const publish = async (): Promise<void> => {
    for (const [rule, scanner] of scanners) {
      try {
        const v = scanner.signatureVersion ? await scanner.signatureVersion() : null;
        await redis.set(sigverKey(queuePrefix, rule), v ?? '0', 'EX', SIGVER_TTL_SEC);
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
