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

/**
 * Parent (aggregation) job options. The stored result (result-store.ts, kept
 * for AVFLEET_RESULT_TTL) is the durable answer: a completed parent is removed
 * at once with its data and its children's return values, so a scan holds
 * Redis for its job data only while it runs. `GET /scans/:id` reads the result
 * first and the parent only while the scan runs (intake/open-intake.ts).
 */
export const AGGREGATE_JOB_OPTIONS: JobsOptions = Object.freeze({
  attempts: 5,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: true,
  removeOnFail: { age: 24 * 3600, count: 10000 },
});
