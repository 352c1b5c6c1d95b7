import type { ServerResponse } from 'node:http';
import { guarded, isScanId } from '@avfleet/core';
import { ApiError } from '../../errors';
import type { HttpDeps } from '../http-deps';
import { sendJson } from '../respond';

function notFound(id: string): ApiError {
  return new ApiError('AVF_ERR_NOT_FOUND', `no scan '${id}' (unknown, or its result expired after AVFLEET_RESULT_TTL)`);
}

/** GET /scans/:id — the result when done, else its state; 404 when unknown or expired; 503 when Redis does not answer. */
export async function getScan(res: ServerResponse, rawId: string, deps: HttpDeps): Promise<number> {
  let id: string;
  try {
    id = decodeURIComponent(rawId);
  } catch {
    throw notFound(rawId);
  }
  if (!isScanId(id)) throw notFound(id);
  const ms = deps.submitter.storeTimeoutMs;
  const result = await guarded(deps.results.load(id), ms, 'Redis (scan result)');
  if (result) {
    sendJson(res, 200, result);
    return 200;
  }
  const job = await guarded(deps.aggregateQueue.getJob(id), ms, 'Redis (scan job)');
  if (!job) throw notFound(id);
  const state = await guarded(job.getState(), ms, 'Redis (scan job)');
  if (state === 'unknown' || state === 'completed') throw notFound(id);
  sendJson(res, 200, { id, state: state === 'active' ? 'running' : 'queued' });
  return 200;
}
