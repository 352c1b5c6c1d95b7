import type { FleetMetrics } from '../observe/fleet-metrics';
import type { Logger } from '../observe/logger';
import { fleetLockKey, scheduleFleetWide, tenthOfPeriodMs, type FleetLockClient } from '../queue/schedule-fleet-wide';
import { pruneStore, type PrunableStore, type PruneRun } from './prune-store';

/** The Redis command the schedule needs (ioredis). */
export type PruneLockClient = FleetLockClient;

export interface ScheduleStorePruningDeps {
  readonly store: PrunableStore;
  readonly redis: PruneLockClient;
  readonly queuePrefix: string;
  /** AVFLEET_STORE_RETENTION in ms (> 0). */
  readonly retentionMs: number;
  readonly oldestPendingMs: () => Promise<number | null>;
  readonly metrics: Pick<FleetMetrics, 'storePrunedObjects' | 'storePrunedBytes' | 'storePruneRuns'>;
  readonly logger: Logger;
  /** @defaultValue pruneIntervalMs(retentionMs) */
  readonly intervalMs?: number;
}

/** How often the fleet prunes: a tenth of the retention, from 5 s to 1 h (1 h for the 3-day default). */
export function pruneIntervalMs(retentionMs: number): number {
  return tenthOfPeriodMs(retentionMs, 5000, 3600_000);
}

/** Redis key of the fleet-wide prune lock. */
export function pruneLockKey(queuePrefix: string): string {
  return fleetLockKey(queuePrefix, 'store-prune');
}

/**
 * Automatic retention of a folder store, run by the workers serving
 * `aggregate`. Every interval each of them asks for the fleet-wide lock
 * (`SET NX` with the interval as its TTL, never released early): one prune
 * per interval in the whole fleet, however many workers there are. A run is
 * bounded (PRUNE_MAX_ENTRIES), counted (avfleet_store_pruned_*) and logged
 * once. Returns a stop function.
 */
export function scheduleStorePruning(deps: ScheduleStorePruningDeps): () => void {
  return scheduleFleetWide({
    redis: deps.redis,
    key: pruneLockKey(deps.queuePrefix),
    intervalMs: deps.intervalMs ?? pruneIntervalMs(deps.retentionMs),
    firstWithinMs: 5000,
    logger: deps.logger,
    failure: {
      code: 'AVF_WARN_STORE_PRUNE_FAILED',
      hint: 'store prune failed; it is tried again next interval (check the store folder and Redis)',
      count: () => deps.metrics.storePruneRuns.inc({ outcome: 'failed' }),
    },
    task: async () => {
      const started = Date.now();
      const run: PruneRun = await pruneStore(deps.store, { retentionMs: deps.retentionMs, oldestPendingMs: deps.oldestPendingMs });
      const { report } = run;
      deps.metrics.storePrunedObjects.inc({ kind: 'message' }, report.messages);
      deps.metrics.storePrunedObjects.inc({ kind: 'part' }, report.parts);
      deps.metrics.storePrunedBytes.inc(report.bytes);
      deps.metrics.storePruneRuns.inc({ outcome: report.complete ? 'complete' : 'cut_short' });
      deps.logger.info(
        {
          cutoff: run.cutoff.toISOString(), messages: report.messages, parts: report.parts, bytes: report.bytes,
          examined: report.examined, complete: report.complete, ms: Date.now() - started,
        },
        'store pruned',
      );
    },
  });
}
