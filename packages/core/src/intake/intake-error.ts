import { CodedError } from '@avfleet/scanners';

/**
 * Why a submission was refused. Stable codes (docs/errors.md); every front end maps
 * them to its own protocol in one table (HTTP: apps/producer/src/http/error-to-http.ts).
 */
export type IntakeErrorCode =
  /** Nothing to scan: the message is empty. */
  | 'AVF_ERR_EMPTY_BODY'
  /** More scan jobs wait than AVFLEET_MAX_WAITING: retry after `retryAfterSec`. */
  | 'AVF_ERR_QUEUE_FULL'
  /** Redis or the object store did not answer in time, or is down: retry after `retryAfterSec`. */
  | 'AVF_ERR_UNAVAILABLE'
  /** Messages being received hold the whole AVFLEET_MAX_INFLIGHT_BYTES (inflight-budget.ts): retry after `retryAfterSec`. */
  | 'AVF_ERR_BUSY';

/** Seconds a client is told to wait after an outage (Redis or the store). */
export const OUTAGE_RETRY_AFTER_SEC = 5;

/** A refused submission. Branch on `code`, never on the message. */
export class IntakeError extends CodedError<IntakeErrorCode> {
  override readonly name = 'IntakeError';
  constructor(
    code: IntakeErrorCode,
    message: string,
    /** When the caller may try again (null: do not retry the same request). */
    readonly retryAfterSec: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}
