import type { ScanJobData } from '../contracts/scan-job-data';
import { scanQueueName } from './queue-names';
import { SCAN_JOB_OPTIONS } from './queue-options';

/** Deterministic part job id: a retried enqueue of the same scan cannot duplicate its parts, and a cancel can name them. */
export function scanJobId(scanId: string, rule: string, partIndex: string | null): string {
  return `${scanId}.${rule}.${partIndex ?? 'msg'}`;
}

/** One entry of BullMQ's `Queue.addBulk`. */
export interface PartJob {
  readonly name: 'scan';
  readonly data: ScanJobData;
  readonly opts: typeof SCAN_JOB_OPTIONS & { readonly jobId: string };
}

/** A scan's part jobs (one per rule and body), grouped by the rule's queue: one `addBulk` per queue. */
export function partJobsByQueue(parts: readonly ScanJobData[]): Map<string, PartJob[]> {
  const byQueue = new Map<string, PartJob[]>();
  for (const p of parts) {
    const queue = scanQueueName(p.rule);
    const jobs = byQueue.get(queue) ?? [];
    jobs.push({ name: 'scan', data: p, opts: { ...SCAN_JOB_OPTIONS, jobId: scanJobId(p.scanId, p.rule, p.partIndex) } });
    byQueue.set(queue, jobs);
  }
  return byQueue;
}
