import { CodedError } from '@avfleet/scanners';

/** Stable codes of the quarantine's refusals (docs/errors.md); front ends map codes, never messages. */
export type QuarantineErrorCode =
  | 'AVF_ERR_QUARANTINE_NOT_FOUND'
  | 'AVF_ERR_QUARANTINE_UNAVAILABLE'
  | 'AVF_ERR_RELEASE_NOT_CONFIGURED'
  | 'AVF_ERR_RELEASE_NO_RECIPIENTS'
  | 'AVF_ERR_RELEASE_FAILED';

export class QuarantineError extends CodedError<QuarantineErrorCode> {
  override readonly name = 'QuarantineError';
}
