import type { AggregateJobData } from '../contracts/aggregate-job-data';
import type { ScanJobData } from '../contracts/scan-job-data';
import { partJobsByQueue, type PartJob } from './part-jobs';
import type { ScanStateStore } from './scan-state';

/** The one BullMQ call the enqueue needs per queue (a Queue satisfies it). */
export interface BulkQueue {
  addBulk(jobs: PartJob[]): Promise<unknown>;
}

/** Enqueues a stored message's scan: its state, then its part jobs. */
export type EnqueueScan = (job: AggregateJobData, parts: readonly ScanJobData[]) => Promise<void>;

/**
 * The scan's state (aggregation input and countdown, queue/scan-state.ts) is written first,
 * so no part can finish before there is a count to decrement; then one `addBulk` per scan
 * queue adds the part jobs. When adding fails the state is removed again (best effort): the
 * caller refuses the submission, and a part job that was added anyway finds no scan and
 * triggers nothing.
 */
export function createScanEnqueuer(state: Pick<ScanStateStore, 'open' | 'drop'>, queueOf: (name: string) => BulkQueue): EnqueueScan {
  return async (job, parts) => {
    await state.open(job);
    try {
      await Promise.all([...partJobsByQueue(parts)].map(([queue, jobs]) => queueOf(queue).addBulk(jobs)));
    } catch (err) {
      await state.drop(job.scanId).catch(() => undefined);
      throw err;
    }
  };
}
