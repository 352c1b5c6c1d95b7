import type { Logger } from '../observe/logger';
import { expireInBatches, fleetLockKey, scheduleFleetWide, tenthOfPeriodMs, type FleetLockClient } from '../queue/schedule-fleet-wide';
import type { Quarantine } from './quarantine';

/** How often the fleet removes expired quarantine entries (one worker per interval, fleet-wide): a tenth of the retention, from 1 s to 1 min. */
export function quarantineExpiryIntervalMs(retentionDays: number): number {
  return tenthOfPeriodMs(retentionDays * 86_400_000, 1000, 60_000);
}

/** Redis key of the fleet-wide expiry lock. */
export function quarantineExpiryLockKey(queuePrefix: string): string {
  return fleetLockKey(queuePrefix, 'quarantine-expiry');
}

/**
 * Removes expired quarantine entries in the workers serving `aggregate`, one of them per
 * interval fleet-wide, as the store's retention does (queue/schedule-fleet-wide.ts): entries older
 * than AVFLEET_QUARANTINE_DAYS, a bounded batch at a time until none is left. Returns a stop function.
 */
export function scheduleQuarantineExpiry(deps: {
  readonly quarantine: Pick<Quarantine, 'expire'>;
  readonly redis: FleetLockClient;
  readonly queuePrefix: string;
  readonly retentionDays: number;
  readonly logger: Logger;
  /** @defaultValue quarantineExpiryIntervalMs(retentionDays) */
  readonly intervalMs?: number;
}): () => void {
  return scheduleFleetWide({
    redis: deps.redis,
    key: quarantineExpiryLockKey(deps.queuePrefix),
    intervalMs: deps.intervalMs ?? quarantineExpiryIntervalMs(deps.retentionDays),
    firstWithinMs: 2000,
    logger: deps.logger,
    failure: { code: 'AVF_WARN_QUARANTINE_EXPIRY_FAILED', hint: 'quarantine expiry failed; it is tried again next interval' },
    task: async () => {
      const removed = await expireInBatches(() => deps.quarantine.expire());
      if (removed > 0) deps.logger.info({ removed }, 'expired quarantine entries removed');
    },
  });
}
