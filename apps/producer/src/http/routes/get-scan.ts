import type { ServerResponse } from 'node:http';
import { isScanId } from '@avfleet/core';
import { ApiError } from '../../errors';
import { classifyFailure } from '../../intake/classify-failure';
import { INTAKE_TIMEOUT_MS, within } from '../../intake/within';
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
  const ms = deps.storeTimeoutMs ?? INTAKE_TIMEOUT_MS;
  try {
    const result = await within(deps.results.load(id), ms, 'Redis (scan result)');
    if (result) {
      sendJson(res, 200, result);
      return 200;
    }
    const job = await within(deps.aggregateQueue.getJob(id), ms, 'Redis (scan job)');
    if (!job) throw notFound(id);
    const state = await within(job.getState(), ms, 'Redis (scan job)');
    if (state === 'unknown' || state === 'completed') throw notFound(id);
    sendJson(res, 200, { id, state: state === 'active' ? 'running' : 'queued' });
    return 200;
  } catch (err) {
    throw classifyFailure(err);
  }
}
