import type { ResultStore } from '../aggregate/result-store';
import { scanJobId } from '../queue/part-jobs';
import { scanQueueName } from '../queue/queue-names';
import type { ScanStateStore } from '../queue/scan-state';

/** Cancels a scan whose submission was refused; `parts` names its part jobs (none when it had no jobs). */
export type CancelScan = (scanId: string, parts?: readonly { readonly rule: string; readonly partIndex: string | null }[]) => Promise<void>;

/** The one BullMQ call removing a waiting job (a Queue satisfies it; an active, locked job is not removed). */
export interface RemovableQueue {
  remove(jobId: string): Promise<number>;
}

/**
 * A refused submission's scan: marked cancelled so that no result is ever stored for it
 * (ResultStore.cancel, the guarantee), then, best effort, its state removed (parts that
 * finish later trigger no aggregation) and its part jobs that still wait removed, so no
 * worker scans them (their ids are deterministic, queue/part-jobs.ts; looked for in every
 * queue lane, `queuesOf`: refusals are rare). A part already being scanned finishes and
 * finds its scan gone.
 */
export function createScanCanceller(
  results: Pick<ResultStore, 'cancel'>, state: Pick<ScanStateStore, 'drop'>, queuesOf: (name: string) => readonly RemovableQueue[],
): CancelScan {
  return async (scanId, parts = []) => {
    await results.cancel(scanId);
    if (parts.length === 0) return;
    await Promise.allSettled([
      state.drop(scanId),
      ...parts.flatMap((p) => queuesOf(scanQueueName(p.rule)).map((q) => q.remove(scanJobId(scanId, p.rule, p.partIndex)))),
    ]);
  };
}
