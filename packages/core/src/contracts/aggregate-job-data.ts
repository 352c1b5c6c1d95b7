import type { RequestMeta } from './request-meta';
import type { JOB_SCHEMA_VERSION, ScanJobResult } from './scan-job-data';
import type { PartSummary } from './scan-result';

/** The aggregation (parent) job of one message's flow. */
export interface AggregateJobData {
  readonly v: typeof JOB_SCHEMA_VERSION;
  readonly scanId: string;
  readonly configDigest: string;
  /** ms since epoch when the producer accepted the message. */
  readonly receivedAt: number;
  readonly messageKey: string;
  readonly meta: RequestMeta;
  readonly parts: readonly PartSummary[];
  /** rule → reason for rules that did not run (docs/interfaces.md §3). */
  readonly skipped: Readonly<Record<string, string>>;
  /** Every (rule, part) a child scans, so a missing child result is noticed. */
  readonly expected: readonly { readonly rule: string; readonly partIndex: string | null }[];
  /** Results the producer already had (verdict cache hits), merged with the children's. */
  readonly preResolved: readonly ScanJobResult[];
  /**
   * Fail verdicts the producer adds on top of the scan results (`archive_limits_fail`,
   * reason `limits`): aggregated with them, not replacing them. Absent in older jobs.
   */
  readonly limitFails?: readonly ScanJobResult[];
}
