import type { ServerResponse } from 'node:http';
import { isScanId } from '@avfleet/core';
import { ApiError } from '../api-error';
import type { HttpDeps } from '../http-deps';
import { sendJson } from '../respond';

function notFound(id: string): ApiError {
  return new ApiError('AVF_ERR_NOT_FOUND', `no scan '${id}' (unknown, or its result expired after AVFLEET_RESULT_TTL)`);
}

/**
 * GET /scans/:id — the result when done, else its state; 404 when unknown or expired; 410
 * when its result was lost with Redis and the message is still in the store (resubmit it);
 * 503 when Redis does not answer.
 */
export async function getScan(res: ServerResponse, rawId: string, deps: HttpDeps): Promise<number> {
  let id: string;
  try {
    id = decodeURIComponent(rawId);
  } catch {
    throw notFound(rawId);
  }
  if (!isScanId(id)) throw notFound(id);
  const status = await deps.scanStatus(id);
  if (!status) throw notFound(id);
  if (!status.done && status.state === 'lost') {
    throw new ApiError('AVF_ERR_RESULT_LOST', `the result of scan '${id}' was lost with Redis (its message is still in the store, but no producer has it to scan again): submit the message again`);
  }
  sendJson(res, 200, status.done ? status.result : { id, state: status.state });
  return 200;
}
