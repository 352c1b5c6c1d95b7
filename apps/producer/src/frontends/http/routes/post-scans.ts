import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_REQUESTED_SEC, MAX_WAIT_SEC } from '@avfleet/core';
import { ApiError } from '../api-error';
import type { HttpDeps } from '../http-deps';
import { readBudgetedBody } from '../read-body';
import { readRequestMeta } from '../request-meta';
import { sendJson } from '../respond';

const DEFAULT_WAIT_SEC = 10;

function parseWait(url: URL): number {
  const w = url.searchParams.get('wait');
  if (w === null) return DEFAULT_WAIT_SEC;
  const n = w.trim() === '' ? Number.NaN : Number(w);
  if (!Number.isFinite(n) || n < 0 || n > MAX_REQUESTED_SEC) {
    throw new ApiError('AVF_ERR_BAD_REQUEST', `wait must be a number of seconds from 0 to ${MAX_REQUESTED_SEC} (longer than ${MAX_WAIT_SEC} is capped to ${MAX_WAIT_SEC}), got '${w}'`);
  }
  return Math.min(n, MAX_WAIT_SEC);
}

/** POST /scans[?wait=N]: 200 with the result when done within the wait, else 202 with the id to poll. */
export async function postScans(req: IncomingMessage, res: ServerResponse, url: URL, deps: HttpDeps, startedAt = Date.now()): Promise<number> {
  const waitSec = parseWait(url);
  const meta = readRequestMeta(req.headers, req.rawHeaders);
  const { raw, reservation } = await readBudgetedBody(req, deps.maxMessageBytes, deps.inflight);
  try {
    const outcome = await deps.submitter.submit({ raw, meta, waitSec, startedAt });
    if (outcome.done) {
      sendJson(res, 200, outcome.result);
      return 200;
    }
    sendJson(res, 202, { id: outcome.scanId, state: 'queued' }, { location: `/scans/${encodeURIComponent(outcome.scanId)}` });
    return 202;
  } finally {
    reservation.release();
  }
}
