import type { ServerResponse } from 'node:http';
import { isScanId } from '@avfleet/core';
import { ApiError } from '../../errors';
import { classifyFailure } from '../../intake/classify-failure';
import type { HttpDeps } from '../http-deps';
import { sendJson } from '../respond';

/** GET /scans/:id — the result when done, else its state; 404 when unknown or expired. */
export async function getScan(res: ServerResponse, id: string, deps: HttpDeps): Promise<number> {
  if (!isScanId(id)) throw new ApiError('AVF_ERR_NOT_FOUND', `no scan '${id}' (unknown or expired)`);
  try {
    const result = await deps.results.load(id);
    if (result) {
      sendJson(res, 200, result);
      return 200;
    }
    const job = await deps.aggregateQueue.getJob(id);
    if (!job) throw new ApiError('AVF_ERR_NOT_FOUND', `no scan '${id}' (unknown or expired)`);
    const state = await job.getState();
    sendJson(res, 200, { id, state: state === 'active' ? 'running' : 'queued' });
    return 200;
  } catch (err) {
    throw classifyFailure(err);
  }
}
