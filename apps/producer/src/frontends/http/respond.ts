import type { ServerResponse } from 'node:http';
import { IntakeError, QuarantineError, sendJson } from '@avfleet/core';
import { ApiError } from './api-error';
import { HTTP_STATUS } from './error-to-http';

export { sendJson };

/** The API error an error becomes: ApiErrors as they are, the intake's refusals with their Retry-After, anything else internal. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof IntakeError) {
    return new ApiError(err.code, err.message, err.retryAfterSec === null ? {} : { 'retry-after': String(err.retryAfterSec) }, { cause: err });
  }
  if (err instanceof QuarantineError) return new ApiError(err.code, err.message, {}, { cause: err });
  return new ApiError('AVF_ERR_INTERNAL', 'internal error; see the producer log', {}, { cause: err });
}

/**
 * Errors are JSON: `{"error": {"code": "AVF_ERR_…", "message": "…"}}`.
 * `headers` are added to the error's own (a route's fixed Content-Type).
 */
export function sendError(res: ServerResponse, err: unknown, headers: Readonly<Record<string, string>> = {}): number {
  const e = toApiError(err);
  const status = HTTP_STATUS[e.code];
  if (!res.headersSent) sendJson(res, status, { error: { code: e.code, message: e.message } }, { ...e.headers, ...headers });
  else res.destroy();
  return status;
}
