import type { ObjectStore, PruneReport } from './object-store';

/**
 * Objects written up to this long before the oldest scan still in progress
 * are kept, whatever the retention: a scan's message and parts are written
 * before its jobs exist, and a flow is added within the intake's bounds
 * (seconds), so an hour covers them and clock differences between hosts.
 */
export const PENDING_SCAN_GUARD_MS = 3600_000;

/** Store entries one prune run examines at most (the folder in hand is finished first); the next run carries on. */
export const PRUNE_MAX_ENTRIES = 200_000;

/**
 * The cutoff of a prune: objects last written or re-used before it go. It is
 * `retention` ago, moved back to an hour before the oldest scan still in
 * progress when that is earlier, so nothing a pending scan may still read is
 * removed (a part a new scan re-uses counts from that re-use).
 */
export function pruneCutoff(now: Date, retentionMs: number, oldestPendingMs: number | null): Date {
  if (!Number.isFinite(retentionMs) || retentionMs < 0) throw new RangeError(`pruneCutoff: retention must be a non-negative number of ms, got ${retentionMs}`);
  const byAge = now.getTime() - retentionMs;
  const byPending = oldestPendingMs === null ? byAge : oldestPendingMs - PENDING_SCAN_GUARD_MS;
  return new Date(Math.min(byAge, byPending));
}

export interface PruneStoreInput {
  readonly retentionMs: number;
  /** When the oldest scan in progress was enqueued (queue/oldest-pending-scan.ts), or null. */
  readonly oldestPendingMs: () => Promise<number | null>;
  readonly now?: Date;
  readonly maxEntries?: number;
}

export interface PruneRun {
  readonly cutoff: Date;
  readonly report: PruneReport;
}

/** Store objects that can be pruned (a folder store); an S3 bucket expires by its lifecycle rule. */
export type PrunableStore = ObjectStore & Required<Pick<ObjectStore, 'prune'>>;

export function isPrunable(store: ObjectStore): store is PrunableStore {
  return typeof store.prune === 'function';
}

/** One prune of the store: the fleet's scheduled runs and `avfleet store prune` both come here. */
export async function pruneStore(store: PrunableStore, input: PruneStoreInput): Promise<PruneRun> {
  const cutoff = pruneCutoff(input.now ?? new Date(), input.retentionMs, await input.oldestPendingMs());
  const report = await store.prune({ cutoff, maxEntries: input.maxEntries ?? PRUNE_MAX_ENTRIES });
  return { cutoff, report };
}
