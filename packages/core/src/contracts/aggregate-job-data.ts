import type { BodyRange } from '../mime/mime-part';
import type { RequestMeta } from './request-meta';
import type { JOB_SCHEMA_VERSION, ScanJobResult } from './scan-job-data';
import type { PartSummary } from './scan-result';

/** A scan's aggregation input: written by the producer into the scan's state (queue/scan-state.ts) before its part jobs exist. */
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
  /** Every (rule, part) a part job scans, so a missing verdict is noticed. */
  readonly expected: readonly { readonly rule: string; readonly partIndex: string | null }[];
  /** Results the producer already had (verdict cache hits), merged with the part jobs'. */
  readonly preResolved: readonly ScanJobResult[];
  /**
   * Fail verdicts the producer adds on top of the scan results (`archive_limits_fail`,
   * reason `limits`): aggregated with them, not replacing them. Absent in older jobs.
   */
  readonly limitFails?: readonly ScanJobResult[];
  /**
   * Retro-scan only (AVFLEET_RETROSCAN on; absent otherwise): where each body of the message lies
   * in the store, by SHA-256 — its range of the stored raw message (D59), or null when it was
   * stored on its own under `parts/<sha256>` — and the message's Message-ID (cut to
   * MAX_NAME_BYTES), so the aggregation can remember the clean parts (packages/core/src/retroscan).
   */
  readonly retro?: { readonly stored: Readonly<Record<string, BodyRange | null>>; readonly messageId: string | null };
  /** The pub/sub channel of the producer process waiting for the result (queue/queue-names.ts resultChannel); absent: nobody waits. */
  readonly notify?: string;
}

/** The aggregation job on `aggregate`: only the scan's id; its input and part verdicts are in the scan's state. */
export interface AggregateJobRef {
  readonly v: typeof JOB_SCHEMA_VERSION;
  readonly scanId: string;
}
