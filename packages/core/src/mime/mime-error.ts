import { CodedError } from '@avfleet/scanners';

/** Stable codes for MIME splitting failures (limits exceeded, unparseable structure). */
export type MimeErrorCode =
  | 'AVF_ERR_MIME_TOO_DEEP'
  | 'AVF_ERR_MIME_TOO_MANY_PARTS'
  | 'AVF_ERR_MIME_HEADERS_TOO_LARGE'
  | 'AVF_ERR_MIME_PARSE';

/**
 * A message could not be split within the configured limits. The message says
 * which limit was hit and which setting raises it; callers treat it as a
 * per-message failure (the rules end in a fail verdict with reason `limits`).
 */
export class MimeError extends CodedError<MimeErrorCode> {
  override readonly name = 'MimeError';
}
