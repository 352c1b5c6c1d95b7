import { randomBytes } from 'node:crypto';
import type { Logger } from '../observe/logger';
import type { PruneLockClient } from '../store/schedule-store-pruning';
import type { Quarantine } from './quarantine';

/** How often the fleet removes expired quarantine entries (one worker per interval, fleet-wide): a tenth of the retention, from 1 s to 1 min. */
export function quarantineExpiryIntervalMs(retentionDays: number): number {
  return Math.min(60_000, Math.max(1000, Math.round((retentionDays * 86_400_000) / 10)));
}

/** Redis key of the fleet-wide expiry lock. */
export function quarantineExpiryLockKey(queuePrefix: string): string {
  return `${queuePrefix}:quarantine-expiry:lock`;
}

/**
 * Removes expired quarantine entries in the workers serving `aggregate`, as the store's
 * retention does (store/schedule-store-pruning.ts): every interval each asks for the fleet-wide
 * lock (`SET NX` with the interval as TTL); the one that gets it removes entries older than
 * AVFLEET_QUARANTINE_DAYS, a bounded batch at a time until none is left. Returns a stop function.
 */
export function scheduleQuarantineExpiry(deps: {
  readonly quarantine: Pick<Quarantine, 'expire'>;
  readonly redis: PruneLockClient;
  readonly queuePrefix: string;
  readonly retentionDays: number;
  readonly logger: Logger;
  /** @defaultValue quarantineExpiryIntervalMs(retentionDays) */
  readonly intervalMs?: number;
}): () => void {
  const intervalMs = deps.intervalMs ?? quarantineExpiryIntervalMs(deps.retentionDays);
  const key = quarantineExpiryLockKey(deps.queuePrefix);
  const token = `${process.pid}.${randomBytes(6).toString('hex')}`;
  let running = false;
  let stopped = false;
  const tick = async (): Promise<void> => {
    if (running || stopped) return;
    running = true;
    try {
      if ((await deps.redis.set(key, token, 'PX', intervalMs, 'NX')) !== 'OK') return;
      let removed = 0;
      for (let round = 0; round < 100 && !stopped; round++) {
        const run = await deps.quarantine.expire();
        removed += run.removed;
        if (run.complete) break;
      }
      if (removed > 0) deps.logger.info({ removed }, 'expired quarantine entries removed');
    } catch (err) {
      deps.logger.warn(
        { code: 'AVF_WARN_QUARANTINE_EXPIRY_FAILED', err: err instanceof Error ? err.message : String(err) },
        'quarantine expiry failed; it is tried again next interval',
      );
    } finally {
      running = false;
    }
  };
  const first = setTimeout(() => void tick(), Math.floor(Math.random() * Math.min(intervalMs, 2000)));
  const timer = setInterval(() => void tick(), intervalMs);
  first.unref();
  timer.unref();
  return () => {
    stopped = true;
    clearTimeout(first);
    clearInterval(timer);
  };
}
