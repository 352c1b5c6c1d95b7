import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestMeta, ScanResult } from '@avfleet/core';
import { ApiError } from '../../errors';
import { acceptMessage } from '../../intake/accept-message';
import { classifyFailure } from '../../intake/classify-failure';
import { INTAKE_TIMEOUT_MS, within } from '../../intake/within';
import type { HttpDeps } from '../http-deps';
import { readBody } from '../read-body';
import { readRequestMeta } from '../request-meta';
import { sendJson } from '../respond';

export const DEFAULT_WAIT_SEC = 10;
/** Longest wait a client may ask for. */
export const MAX_WAIT_SEC = 300;

export type ScanOutcome = ({ done: true; result: ScanResult } | { done: false; scanId: string }) & { messageId: string | null };

/** Shared by POST /scans and /checkv2: read, check, accept, wait. */
export async function submitAndWait(req: IncomingMessage, meta: RequestMeta, deps: HttpDeps, waitSec: number): Promise<ScanOutcome> {
  const raw = await readBody(req, deps.maxMessageBytes);
  if (raw.length === 0) throw new ApiError('AVF_ERR_EMPTY_BODY', 'the request body is empty: send the raw message (RFC 5322 bytes)');
  let retryAfter: number;
  try {
    retryAfter = await within(deps.backpressure.retryAfterSec(), INTAKE_TIMEOUT_MS, 'Redis (queue depth)');
  } catch (err) {
    throw classifyFailure(err);
  }
  if (retryAfter > 0) {
    deps.metrics.rejectedRequests.inc({ reason: 'queue_full' });
    throw new ApiError('AVF_ERR_QUEUE_FULL', 'too many scan jobs are waiting (AVFLEET_MAX_WAITING); retry later', { 'retry-after': String(retryAfter) });
  }
  let accepted;
  try {
    accepted = await within(acceptMessage(raw, meta, deps.intake), INTAKE_TIMEOUT_MS, 'Redis or the object store');
  } catch (err) {
    throw classifyFailure(err);
  }
  const budgetSec = meta.deadlineSec !== null ? Math.min(waitSec, meta.deadlineSec) : waitSec;
  const result = await deps.waiter.wait(accepted.scanId, Math.max(0, budgetSec * 1000 - (Date.now() - accepted.receivedAt)));
  if (result) return { done: true, result, messageId: accepted.messageId };
  if (meta.deadlineSec !== null && waitSec > 0) {
    const partial = await deps.partialResult(accepted.scanId);
    if (partial) return { done: true, result: partial, messageId: accepted.messageId };
  }
  return { done: false, scanId: accepted.scanId, messageId: accepted.messageId };
}

export function parseWait(url: URL): number {
  const w = url.searchParams.get('wait');
  if (w === null) return DEFAULT_WAIT_SEC;
  const n = Number(w);
  if (!Number.isFinite(n) || n < 0) throw new ApiError('AVF_ERR_BAD_REQUEST', `wait must be a non-negative number of seconds, got '${w}'`);
  return Math.min(n, MAX_WAIT_SEC);
}

export async function postScans(req: IncomingMessage, res: ServerResponse, url: URL, deps: HttpDeps): Promise<number> {
  const wait = parseWait(url);
  const outcome = await submitAndWait(req, readRequestMeta(req.headers, req.rawHeaders), deps, wait);
  if (outcome.done) {
    sendJson(res, 200, outcome.result);
    return 200;
  }
  sendJson(res, 202, { id: outcome.scanId, state: 'queued' }, { location: `/scans/${outcome.scanId}` });
  return 202;
}
