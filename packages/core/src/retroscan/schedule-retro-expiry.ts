import type { FleetMetrics } from '../observe/fleet-metrics';
import type { Logger } from '../observe/logger';
import { expireInBatches, fleetLockKey, scheduleFleetWide, tenthOfPeriodMs, type FleetLockClient } from '../queue/schedule-fleet-wide';
import type { RetroMemory } from './retro-memory';

/** How often the fleet forgets parts past the window (one worker per interval, fleet-wide): a tenth of the window, from 1 s to 5 min. */
export function retroExpiryIntervalMs(windowSec: number): number {
  return tenthOfPeriodMs(windowSec * 1000, 1000, 300_000);
}

/** Redis key of the fleet-wide expiry lock. */
export function retroExpiryLockKey(queuePrefix: string): string {
  return fleetLockKey(queuePrefix, 'retro-expiry');
}

/**
 * Forgets remembered parts whose bytes were stored longer than the window ago, in the workers
 * serving `aggregate`, one of them per interval fleet-wide (queue/schedule-fleet-wide.ts), a
 * bounded batch at a time. Returns a stop function.
 */
export function scheduleRetroExpiry(deps: {
  readonly memory: Pick<RetroMemory, 'expire'>;
  readonly redis: FleetLockClient;
  readonly queuePrefix: string;
  readonly windowSec: number;
  readonly metrics: Pick<FleetMetrics, 'retroRememberedParts' | 'retroRememberedBytes'>;
  readonly logger: Logger;
  readonly now?: () => number;
  /** @defaultValue retroExpiryIntervalMs(windowSec) */
  readonly intervalMs?: number;
}): () => void {
  const now = deps.now ?? Date.now;
  return scheduleFleetWide({
    redis: deps.redis,
    key: retroExpiryLockKey(deps.queuePrefix),
    intervalMs: deps.intervalMs ?? retroExpiryIntervalMs(deps.windowSec),
    firstWithinMs: 2000,
    logger: deps.logger,
    failure: { code: 'AVF_WARN_RETROSCAN_EXPIRY_FAILED', hint: 'retro-scan memory expiry failed; it is tried again next interval' },
    task: async () => {
      const cutoff = now() - deps.windowSec * 1000;
      const removed = await expireInBatches(async () => {
        const run = await deps.memory.expire(cutoff);
        deps.metrics.retroRememberedParts.set(run.stats.entries);
        deps.metrics.retroRememberedBytes.set(run.stats.bytes);
        return run;
      });
      if (removed > 0) deps.logger.info({ removed }, 'retro-scan: parts past the window forgotten');
    },
  });
}
