import type { JobsOptions } from 'bullmq';

/**
 * Child (scan) job options. A scanner error is a `fail` verdict, so a child
 * only fails when its worker crashes repeatedly or the job is malformed; then
 * `ignoreDependencyOnFailure` lets the parent run anyway (the missing result is
 * reported as a fail verdict) instead of waiting forever. Completed children
 * are removed at once: their return value already sits in the parent.
 */
export const SCAN_JOB_OPTIONS: JobsOptions = Object.freeze({
  attempts: 3,
  backoff: { type: 'exponential', delay: 500 },
  ignoreDependencyOnFailure: true,
  removeOnComplete: true,
  removeOnFail: { age: 24 * 3600, count: 10000 },
});

/** Parent (aggregation) job options; the result itself lives under its own key with a TTL. */
export function aggregateJobOptions(resultTtlSec: number): JobsOptions {
  return {
    attempts: 5,
    backoff: { type: 'exponential', delay: 500 },
    removeOnComplete: { age: resultTtlSec, count: 100000 },
    removeOnFail: { age: 24 * 3600, count: 10000 },
  };
}
