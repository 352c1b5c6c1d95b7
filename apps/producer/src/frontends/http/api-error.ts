import type { IntakeErrorCode, QuarantineErrorCode } from '@avfleet/core';
import { CodedError } from '@avfleet/scanners';

/** Stable error codes of the producer's HTTP API (docs/errors.md): the intake's own, and those of HTTP itself. */
export type ApiErrorCode =
  | IntakeErrorCode
  | QuarantineErrorCode
  | 'AVF_ERR_BAD_REQUEST'
  | 'AVF_ERR_UNAUTHORIZED'
  | 'AVF_ERR_FORBIDDEN'
  | 'AVF_ERR_TOO_LARGE'
  | 'AVF_ERR_UNSUPPORTED_ENCODING'
  | 'AVF_ERR_NOT_FOUND'
  | 'AVF_ERR_RESULT_LOST'
  | 'AVF_ERR_METHOD_NOT_ALLOWED'
  | 'AVF_ERR_INTERNAL';

/** An error the API answers with `{"error": {"code", "message"}}`. */
export class ApiError extends CodedError<ApiErrorCode> {
  override readonly name = 'ApiError';
  constructor(
    code: ApiErrorCode,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}
