import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestMeta, ScanResult } from '@avfleet/core';
import { ApiError } from '../../errors';
import { INTAKE_TIMEOUT_MS, guarded, within } from '../../intake/within';
import type { HttpDeps } from '../http-deps';
import { readBody } from '../read-body';
import { readRequestMeta } from '../request-meta';
import { sendJson } from '../respond';

const DEFAULT_WAIT_SEC = 10;
/** Longest wait a client may ask for. */
const MAX_WAIT_SEC = 300;
/** Time kept back before a Deadline to read the partial result and answer. */
const PARTIAL_RESERVE_MS = 300;
/** Floor for the partial-result read when the deadline is (nearly) spent. */
const PARTIAL_MIN_MS = 250;

export type ScanOutcome = ({ done: true; result: ScanResult } | { done: false; scanId: string }) & { messageId: string | null };

/**
 * Shared by POST /scans and /checkv2: read, check, accept, wait. Every Redis or
 * store call is bounded (503 past the bound). With a Deadline the clock starts
 * at `startedAt` (the request's arrival) and the answer comes by then: what is
 * not finished is read as a partial result (missing rules as `deadline` fails).
 */
export async function submitAndWait(
  req: IncomingMessage, meta: RequestMeta, deps: HttpDeps, waitSec: number, startedAt = Date.now(),
): Promise<ScanOutcome> {
  const storeMs = deps.storeTimeoutMs ?? INTAKE_TIMEOUT_MS;
  const deadlineAt = meta.deadlineSec !== null ? startedAt + meta.deadlineSec * 1000 : null;
  const bound = (): number => (deadlineAt === null ? storeMs : Math.max(1, Math.min(storeMs, deadlineAt - Date.now())));

  const raw = await readBody(req, deps.maxMessageBytes);
  if (raw.length === 0) throw new ApiError('AVF_ERR_EMPTY_BODY', 'the request body is empty: send the raw message (RFC 5322 bytes)');
  const retryAfter = await guarded(deps.backpressure.retryAfterSec(), bound(), 'Redis (queue depth)');
  if (retryAfter > 0) {
    deps.metrics.rejectedRequests.inc({ reason: 'queue_full' });
    throw new ApiError('AVF_ERR_QUEUE_FULL', 'too many scan jobs are waiting (AVFLEET_MAX_WAITING); retry later', { 'retry-after': String(retryAfter) });
  }
  const accepted = await guarded(deps.intake.accept(raw, meta), bound(), 'Redis or the object store');
  const notDone: ScanOutcome = { done: false, scanId: accepted.scanId, messageId: accepted.messageId };
  if (waitSec <= 0) return notDone;
  // Answered from the verdict cache without a flow (wait=0 still gets its 202, as the contract says).
  if (accepted.result) return { done: true, result: accepted.result, messageId: accepted.messageId };

  let endAt = startedAt + waitSec * 1000;
  if (deadlineAt !== null) endAt = Math.min(endAt, deadlineAt - Math.min(PARTIAL_RESERVE_MS, (deadlineAt - startedAt) / 5));
  const waitMs = Math.max(0, endAt - Date.now());
  const result = await guarded(deps.waiter.wait(accepted.scanId, waitMs), waitMs + storeMs, 'Redis (scan result)');
  if (result) return { done: true, result, messageId: accepted.messageId };
  if (deadlineAt !== null) {
    const partial = await readPartial(deps, accepted.scanId, Math.max(PARTIAL_MIN_MS, deadlineAt - Date.now()));
    if (partial) return { done: true, result: partial, messageId: accepted.messageId };
  }
  return notDone;
}

/** The result so far, or null when it cannot be read in `ms` (the caller then answers without it). */
export async function readPartial(deps: HttpDeps, scanId: string, ms: number): Promise<ScanResult | null> {
  try {
    return await within(deps.partialResult(scanId), ms, 'Redis (partial result)');
  } catch (err) {
    deps.logger.warn({ scanId, err: err instanceof Error ? err.message : String(err) }, 'partial result unavailable');
    return null;
  }
}

function parseWait(url: URL): number {
  const w = url.searchParams.get('wait');
  if (w === null) return DEFAULT_WAIT_SEC;
  const n = w.trim() === '' ? Number.NaN : Number(w);
  if (!Number.isFinite(n) || n < 0) throw new ApiError('AVF_ERR_BAD_REQUEST', `wait must be a non-negative number of seconds, got '${w}'`);
  return Math.min(n, MAX_WAIT_SEC);
}

export async function postScans(req: IncomingMessage, res: ServerResponse, url: URL, deps: HttpDeps, startedAt = Date.now()): Promise<number> {
  const wait = parseWait(url);
  const meta = readRequestMeta(req.headers, req.rawHeaders);
  const outcome = await submitAndWait(req, meta, deps, wait, startedAt);
  if (outcome.done) {
    sendJson(res, 200, outcome.result);
    return 200;
  }
  sendJson(res, 202, { id: outcome.scanId, state: 'queued' }, { location: `/scans/${encodeURIComponent(outcome.scanId)}` });
  return 202;
}
