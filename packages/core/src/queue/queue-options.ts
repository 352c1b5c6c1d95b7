import type { JobsOptions } from 'bullmq';

/**
 * Part (scan) job options. A scanner error is a `fail` verdict, so a part job only
 * fails when its worker crashes repeatedly or the job is malformed; the worker then
 * records a `scan job failed` verdict for it (queue/complete-part.ts), so the scan is
 * aggregated anyway instead of waiting forever. Completed part jobs are removed at
 * once: their verdict already sits in the scan's state (queue/scan-state.ts).
 */
export const SCAN_JOB_OPTIONS = Object.freeze({
  attempts: 3,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: true,
  removeOnFail: { age: 24 * 3600, count: 10000 },
} satisfies JobsOptions);

/**
 * Aggregation job options. The stored result (result-store.ts, kept for
 * AVFLEET_RESULT_TTL) is the durable answer: a completed aggregation job is removed
 * at once, and so is the scan's state, so a scan holds Redis for its job data only
 * while it runs. `GET /scans/:id` reads the result first and the scan's state only
 * while the scan runs (intake/open-intake.ts).
 */
export const AGGREGATE_JOB_OPTIONS = Object.freeze({
  attempts: 5,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: true,
  removeOnFail: { age: 24 * 3600, count: 10000 },
} satisfies JobsOptions);
