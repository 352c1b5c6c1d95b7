import type { ServerResponse } from 'node:http';
import { isScanId } from '@avfleet/core';
import { ApiError } from '../api-error';
import type { HttpDeps } from '../http-deps';
import { sendJson } from '../respond';

function notFound(id: string): ApiError {
  return new ApiError('AVF_ERR_NOT_FOUND', `no scan '${id}' (unknown, or its result expired after AVFLEET_RESULT_TTL)`);
}

/**
 * GET /scans/:id — the result when done, else its state (`rescanning` while a scan Redis lost
 * is rebuilt from the store); 404 when unknown or expired; 410 when its result was lost with
 * Redis and its message is stored without its request (before D69: resubmit it); 503 when
 * Redis or the store does not answer.
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
    throw new ApiError('AVF_ERR_RESULT_LOST', `the result of scan '${id}' was lost with Redis and its message was stored without the request a rescan needs (by a producer older than D69): submit the message again`);
  }
  sendJson(res, 200, status.done ? status.result : { id, state: status.state });
  return 200;
}
