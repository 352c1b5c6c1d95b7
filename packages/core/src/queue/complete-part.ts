import { fail } from '@avfleet/scanners';
import type { AggregateJobRef } from '../contracts/aggregate-job-data';
import { JOB_SCHEMA_VERSION, type ScanJobData, type ScanJobResult } from '../contracts/scan-job-data';
import { AGGREGATE_JOB_OPTIONS } from './queue-options';
import type { ScanStateStore } from './scan-state';

/** The one BullMQ call completing a part needs (a Queue on `aggregate` satisfies it). */
export interface AggregateQueue {
  add(name: 'aggregate', data: AggregateJobRef, opts: typeof AGGREGATE_JOB_OPTIONS & { jobId: string }): Promise<unknown>;
}

/** Records a part's verdict in its scan's state; returns true when it was the last (the aggregation job is enqueued). */
export type CompletePart = (part: ScanJobData, result: ScanJobResult) => Promise<boolean>;

/**
 * The end of a part job, in the worker, before BullMQ completes the job: the verdict is
 * recorded (queue/scan-state.ts) and, when it was the last part, the aggregation job is
 * added under the scan's id. A worker killed in between leaves the part job unfinished; its
 * retry records nothing new (idempotent by part), sees no part left and adds the aggregation
 * job again, which BullMQ ignores while that job exists (same id). A scan that is gone
 * (aggregated or cancelled) triggers nothing.
 */
export function createPartCompleter(state: Pick<ScanStateStore, 'record'>, aggregate: AggregateQueue): CompletePart {
  return async (part, result) => {
    const left = await state.record(part.scanId, result);
    if (left !== 0) return false;
    await aggregate.add('aggregate', { v: JOB_SCHEMA_VERSION, scanId: part.scanId }, { ...AGGREGATE_JOB_OPTIONS, jobId: part.scanId });
    return true;
  };
}

/** The verdict of a part whose job failed for good (its worker crashed repeatedly, or the job is malformed). */
export function failedPartResult(part: ScanJobData, reason: string): ScanJobResult {
  return { rule: part.rule, partIndex: part.partIndex, verdict: fail(`scan job failed: ${reason}`, 'error'), cached: false, ms: 0 };
}
