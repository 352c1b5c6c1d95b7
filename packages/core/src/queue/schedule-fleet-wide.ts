import { randomBytes } from 'node:crypto';
import type { Logger } from '../observe/logger';

/** The Redis command a fleet-wide schedule needs (ioredis). */
export interface FleetLockClient {
  set(key: string, value: string, px: 'PX', ms: number, nx: 'NX'): Promise<'OK' | null>;
}

/** A fleet-wide schedule's interval: a tenth of the period it keeps (a retention, a window), within [minMs, maxMs]. */
export function tenthOfPeriodMs(periodMs: number, minMs: number, maxMs: number): number {
  return Math.min(maxMs, Math.max(minMs, Math.round(periodMs / 10)));
}

/** Redis key of the fleet-wide lock of the schedule `name` (e.g. `store-prune`). */
export function fleetLockKey(queuePrefix: string, name: string): string {
  return `${queuePrefix}:${name}:lock`;
}

/**
 * A task one process of the fleet runs per interval, however many run the schedule: every
 * interval each asks for the lock `key` (`SET NX` with the interval as its TTL, never released
 * early), and the one that gets it runs `task` (never two at once in one process). The first
 * try comes soon after start, spread over up to `firstWithinMs`. A failure of the lock or of
 * `task` is logged once at `warn` with `failure.code` and `failure.hint` (what happens next, what
 * to check), and handed to `failure.count` if given; the next interval tries again. Returns a stop function.
 */
export function scheduleFleetWide(opts: {
  readonly redis: FleetLockClient;
  readonly key: string;
  readonly intervalMs: number;
  readonly firstWithinMs: number;
  readonly task: () => Promise<void>;
  readonly logger: Logger;
  readonly failure: {
    /** Stable AVF_WARN_* code of the log line. */
    readonly code: string;
    /** The log line's message: what failed, that it is tried again, what to check. */
    readonly hint: string;
    /** Counts the failure (a metric), when the task has one. */
    readonly count?: () => void;
  };
}): () => void {
  const token = `${process.pid}.${randomBytes(6).toString('hex')}`;
  let running = false;
  let stopped = false;
  const tick = async (): Promise<void> => {
    if (running || stopped) return;
    running = true;
    try {
      if ((await opts.redis.set(opts.key, token, 'PX', opts.intervalMs, 'NX')) !== 'OK') return; // another process has this interval
      await opts.task();
    } catch (err) {
      opts.failure.count?.();
      opts.logger.warn({ code: opts.failure.code, err: err instanceof Error ? err.message : String(err) }, opts.failure.hint);
    } finally {
      running = false;
    }
  };
  const first = setTimeout(() => void tick(), Math.floor(Math.random() * Math.min(opts.intervalMs, opts.firstWithinMs)));
  const timer = setInterval(() => void tick(), opts.intervalMs);
  first.unref();
  timer.unref();
  return () => {
    stopped = true;
    clearTimeout(first);
    clearInterval(timer);
  };
}

/** Batches one expiry run removes at most; the next run carries on. */
export const MAX_BATCHES_PER_RUN = 100;

/**
 * An expiry task for scheduleFleetWide: `batch` until it reports `complete`, at most
 * MAX_BATCHES_PER_RUN times (so one run cannot hold the lock's interval forever). Resolves with
 * how many entries the batches removed.
 */
export async function expireInBatches(batch: () => Promise<{ readonly removed: number; readonly complete: boolean }>): Promise<number> {
  let removed = 0;
  for (let round = 0; round < MAX_BATCHES_PER_RUN; round++) {
    const run = await batch();
    removed += run.removed;
    if (run.complete) break;
  }
  return removed;
}
