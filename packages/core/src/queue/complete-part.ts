import { fail } from '@avfleet/scanners';
import type { AggregateJobRef } from '../contracts/aggregate-job-data';
import { JOB_SCHEMA_VERSION, type ScanJobData, type ScanJobResult } from '../contracts/scan-job-data';
import { AGGREGATE_JOB_OPTIONS } from './queue-options';
import type { RecordedScan, ScanStateStore } from './scan-state';

/** The one BullMQ call completing a part needs (a Queue on `aggregate` satisfies it). */
export interface AggregateQueue {
  add(name: 'aggregate', data: AggregateJobRef, opts: typeof AGGREGATE_JOB_OPTIONS & { jobId: string }): Promise<unknown>;
}

/** Records a part's verdict in its scan's state; returns true when it was the last (the scan was aggregated, or its aggregation job added). */
export type CompletePart = (part: ScanJobData, result: ScanJobResult) => Promise<boolean>;

/**
 * What happens to a scan whose last part was recorded: aggregated here (createAggregationJob)
 * or handed to `aggregate` (enqueueAggregation). `scan` is its state as the record read it.
 */
export type AggregateScan = (scanId: string, scan?: RecordedScan) => Promise<unknown>;

/**
 * The end of a part job, in the worker, before BullMQ completes the job: the verdict is
 * recorded (queue/scan-state.ts) and, when it was the last part, `onLast` runs with the
 * scan's state, which the same script call read (D62). A worker
 * killed in between leaves the part job unfinished; its retry records nothing new
 * (idempotent by part), sees no part left and runs `onLast` again — an aggregation keeps
 * the first stored answer, an aggregation job added twice under the scan's id is one job.
 * A scan that is gone (aggregated or cancelled) triggers nothing.
 */
export function createPartCompleter(state: Pick<ScanStateStore, 'recordAndRead'>, onLast: AggregateScan): CompletePart {
  return async (part, result) => {
    const recorded = await state.recordAndRead(part.scanId, result);
    if (recorded.left !== 0) return false;
    await onLast(part.scanId, recorded.scan);
    return true;
  };
}

/** `onLast` for a worker that does not serve `aggregate`: the aggregation job, under the scan's id. */
export function enqueueAggregation(aggregate: AggregateQueue): AggregateScan {
  return (scanId) => aggregate.add('aggregate', { v: JOB_SCHEMA_VERSION, scanId }, { ...AGGREGATE_JOB_OPTIONS, jobId: scanId });
}

/** The verdict of a part whose job failed for good (its worker crashed repeatedly, or the job is malformed). */
export function failedPartResult(part: ScanJobData, reason: string): ScanJobResult {
  return { rule: part.rule, partIndex: part.partIndex, verdict: fail(`scan job failed: ${reason}`, 'error'), cached: false, ms: 0 };
}
