import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RetroAdmin } from '@avfleet/core';
import { ApiError } from '../api-error';
import { readBody } from '../read-body';
import { sendJson } from '../respond';

/** The retro-scan's admin routes (labels are bounded). */
export type RetroRoute = 'retroscan' | 'retro_detections';

/** Bytes of a `POST /retroscan` body at most. */
const MAX_BODY_BYTES = 4096;

/** Detections one `GET /retro-detections` lists at most, and by default. */
export const MAX_DETECTIONS_PAGE = 1000;
const DEFAULT_DETECTIONS_PAGE = 100;

/** Path → retro route; null when the path is not one. */
export function matchRetroPath(path: string): { readonly route: RetroRoute; readonly methods: readonly string[] } | null {
  if (path === '/retroscan' || path === '/retroscan/') return { route: 'retroscan', methods: ['POST'] };
  if (path === '/retro-detections' || path === '/retro-detections/') return { route: 'retro_detections', methods: ['GET', 'HEAD'] };
  return null;
}

/**
 * `POST /retroscan {"rule": R, "since": T}` starts a retro-scan of the rule's remembered parts
 * stored since T (ISO 8601 or ms since the epoch; default: the whole window) → 202 with its id
 * and the parts queued. `GET /retro-detections?limit=N` lists the recorded detections, newest
 * first (docs/interfaces.md §3, "Retro-scan").
 */
export async function serveRetro(req: IncomingMessage, res: ServerResponse, url: URL, route: RetroRoute, retro: RetroAdmin, who: string, windowSec: number): Promise<number> {
  if (route === 'retro_detections') {
    const limit = limitOf(url);
    const detections = await retro.detections(limit).catch(unavailable);
    sendJson(res, 200, { detections });
    return 200;
  }
  const { rule, since } = startRequest(await readBody(req, MAX_BODY_BYTES), retro.rules, windowSec);
  const run = await retro.start(rule, since).catch(unavailable);
  sendJson(res, 202, { ...run, by: who });
  return 202;
}

function unavailable(err: unknown): never {
  throw new ApiError('AVF_ERR_UNAVAILABLE', `the retro-scan's Redis did not answer: ${err instanceof Error ? err.message : String(err)}`, { 'retry-after': '5' }, { cause: err });
}

/** `{"rule": "clamav", "since": "2026-01-01T00:00:00Z"}`: a known rule; `since` optional, never before the window. */
export function startRequest(body: Buffer, rules: readonly string[], windowSec: number, now = Date.now()): { rule: string; since: number } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ApiError('AVF_ERR_BAD_REQUEST', 'POST /retroscan takes a JSON object: {"rule": "<rule name>", "since": "<ISO 8601 time>"}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ApiError('AVF_ERR_BAD_REQUEST', 'POST /retroscan takes a JSON object: {"rule": "<rule name>", "since": "<ISO 8601 time>"}');
  const o = parsed as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'rule' && k !== 'since') throw new ApiError('AVF_ERR_BAD_REQUEST', `unknown field '${k.slice(0, 80)}'; POST /retroscan takes rule and since`);
  if (typeof o.rule !== 'string' || !rules.includes(o.rule)) {
    throw new ApiError('AVF_ERR_BAD_REQUEST', `rule must be one of the configured rules (${rules.join(', ')}), got ${JSON.stringify(o.rule)?.slice(0, 80)}`);
  }
  const windowStart = now - windowSec * 1000;
  if (o.since === undefined || o.since === null) return { rule: o.rule, since: windowStart };
  const t = typeof o.since === 'number' ? o.since : typeof o.since === 'string' ? (/^\d+$/.test(o.since) ? Number(o.since) : Date.parse(o.since)) : Number.NaN;
  if (!Number.isFinite(t)) throw new ApiError('AVF_ERR_BAD_REQUEST', `since must be an ISO 8601 time or ms since the epoch, got ${JSON.stringify(o.since).slice(0, 80)}`);
  return { rule: o.rule, since: Math.max(t, windowStart) };
}

function limitOf(url: URL): number {
  for (const k of url.searchParams.keys()) if (k !== 'limit') throw new ApiError('AVF_ERR_BAD_REQUEST', `unknown parameter '${k.slice(0, 80)}'; GET /retro-detections takes limit`);
  const text = url.searchParams.get('limit');
  if (text === null) return DEFAULT_DETECTIONS_PAGE;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_DETECTIONS_PAGE) throw new ApiError('AVF_ERR_BAD_REQUEST', `limit must be an integer from 1 to ${MAX_DETECTIONS_PAGE}, got '${text.slice(0, 80)}'`);
  return n;
}
