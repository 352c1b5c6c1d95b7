import type { FlowJob } from 'bullmq';
import type { AggregateJobData } from '../contracts/aggregate-job-data';
import type { ScanJobData } from '../contracts/scan-job-data';
import { AGGREGATE_QUEUE, scanQueueName } from './queue-names';
import { AGGREGATE_JOB_OPTIONS, SCAN_JOB_OPTIONS } from './queue-options';

/** Deterministic child job id: a retried enqueue of the same scan cannot duplicate children. */
export function scanJobId(scanId: string, rule: string, partIndex: string | null): string {
  return `${scanId}.${rule}.${partIndex ?? 'msg'}`;
}

/** One BullMQ flow per message: the aggregation parent with one child per (rule, body). */
export function buildScanFlow(parent: AggregateJobData, children: readonly ScanJobData[]): FlowJob {
  return {
    name: 'aggregate',
    queueName: AGGREGATE_QUEUE,
    data: parent,
    opts: { ...AGGREGATE_JOB_OPTIONS, jobId: parent.scanId },
    children: children.map((c) => ({
      name: 'scan',
      queueName: scanQueueName(c.rule),
      data: c,
      opts: { ...SCAN_JOB_OPTIONS, jobId: scanJobId(c.scanId, c.rule, c.partIndex) },
    })),
  };
}
