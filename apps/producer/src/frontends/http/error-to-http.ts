import type { ApiErrorCode } from './api-error';

/** The single table from error code to HTTP status. */
export const HTTP_STATUS: Readonly<Record<ApiErrorCode, number>> = {
  AVF_ERR_BAD_REQUEST: 400,
  AVF_ERR_EMPTY_BODY: 400,
  AVF_ERR_UNAUTHORIZED: 401,
  AVF_ERR_NOT_FOUND: 404,
  AVF_ERR_METHOD_NOT_ALLOWED: 405,
  AVF_ERR_RESULT_LOST: 410,
  AVF_ERR_TOO_LARGE: 413,
  AVF_ERR_UNSUPPORTED_ENCODING: 415,
  AVF_ERR_QUEUE_FULL: 429,
  AVF_ERR_INTERNAL: 500,
  AVF_ERR_UNAVAILABLE: 503,
  AVF_ERR_BUSY: 503,
};
