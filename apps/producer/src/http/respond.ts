import type { ServerResponse } from 'node:http';
import { ApiError } from '../errors';
import { HTTP_STATUS } from './error-to-http';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(data.length), ...headers });
  res.end(data);
}

/** Errors are JSON: `{"error": {"code": "AVF_ERR_…", "message": "…"}}`. */
export function sendError(res: ServerResponse, err: unknown): number {
  const e = err instanceof ApiError ? err : new ApiError('AVF_ERR_INTERNAL', 'internal error; see the producer log', {}, { cause: err });
  const status = HTTP_STATUS[e.code];
  if (!res.headersSent) sendJson(res, status, { error: { code: e.code, message: e.message } }, { ...e.headers });
  else res.destroy();
  return status;
}
