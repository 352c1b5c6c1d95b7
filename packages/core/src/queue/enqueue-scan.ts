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

/** A scan as it was enqueued: what enqueueing it again needs (queue/reconcile-scans.ts). */
export interface EnqueuedScan {
  readonly job: AggregateJobData;
  readonly parts: readonly ScanJobData[];
  /** The queue lane its part jobs went to (queue/queue-lanes.ts). */
  readonly lane: number;
}

export interface ScanEnqueuerOptions {
  /** The lane of the next scan (QueueLanes.next); default lane 0. */
  readonly nextLane?: () => number;
  /**
   * Whether the state and the part jobs go out now over one connection to one Redis (not a
   * Cluster) that is ready: Redis runs a connection's commands in the order sent, so both are
   * sent at once and awaited together, one round trip (D62). Asked per scan: a connection that
   * is not ready fails the state's HSET at once, and the jobs must then not be sent behind it.
   * Absent or false: the state is awaited first.
   */
  readonly inOrder?: () => boolean;
  /** Told of every scan enqueued (the producer's reconciler tracks it until its result is heard). */
  readonly onEnqueued?: (scan: EnqueuedScan) => void;
}

/**
 * The scan's state (aggregation input and countdown, queue/scan-state.ts) is written first,
 * so no part can finish before there is a count to decrement; then one `addBulk` per scan
 * queue of one lane (every part job of a scan in the same lane) adds the part jobs. With
 * `inOrder` "first" is Redis's order of one connection's commands, not a wait for the reply:
 * the state's HSET and the jobs go out together. When either fails the state is removed
 * again (best effort): the caller refuses the submission, and a part job that was added
 * anyway finds no scan and triggers nothing.
 */
export function createScanEnqueuer(
  state: Pick<ScanStateStore, 'open' | 'drop'>, queueOf: (name: string, lane: number) => BulkQueue, opts: ScanEnqueuerOptions = {},
): EnqueueScan {
  return async (job, parts) => {
    const lane = opts.nextLane?.() ?? 0;
    const add = (): Promise<void> => addPartJobs(parts, (name) => queueOf(name, lane));
    try {
      if (opts.inOrder?.()) {
        // Both settle before either failure is acted on: the state is never dropped while its HSET is in flight.
        const [opened, added] = await Promise.allSettled([state.open(job), add()]);
        if (opened.status === 'rejected') throw opened.reason;
        if (added.status === 'rejected') throw added.reason;
      } else {
        await state.open(job);
        await add();
      }
    } catch (err) {
      await state.drop(job.scanId).catch(() => undefined);
      throw err;
    }
    opts.onEnqueued?.({ job, parts, lane });
  };
}

/** Adds part jobs, one `addBulk` per queue (ids are deterministic: a job that exists already is not added twice). */
export async function addPartJobs(parts: readonly ScanJobData[], queueOf: (name: string) => BulkQueue): Promise<void> {
  await Promise.all([...partJobsByQueue(parts)].map(([queue, jobs]) => queueOf(queue).addBulk(jobs)));
}
