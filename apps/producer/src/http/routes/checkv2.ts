import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ScanResult } from '@avfleet/core';
import { readRequestMeta } from '../request-meta';
import type { HttpDeps } from '../http-deps';
import { sendJson } from '../respond';
import { submitAndWait } from './post-scans';

/** rspamc gives up after 10 s; answer well before that unless the caller sends Deadline. */
export const CHECKV2_DEFAULT_WAIT_SEC = 8;

/** The reply in Rspamd's /checkv2 JSON shape, which rspamc and Rspamd-speaking integrations parse. */
export function toRspamdReply(result: ScanResult, thresholds: Readonly<Record<string, number>>, messageId: string | null, timeRealSec: number): unknown {
  const symbols: Record<string, unknown> = {};
  for (const s of Object.values(result.symbols)) {
    symbols[s.name] = {
      name: s.name,
      score: s.score,
      metric_score: s.score,
      ...(s.options && s.options.length > 0 ? { options: s.options } : {}),
      ...(s.description ? { description: s.description } : {}),
    };
  }
  return {
    is_skipped: false,
    score: result.score,
    required_score: result.required_score,
    action: result.action,
    thresholds,
    symbols,
    messages: result.message ? { smtp_message: result.message } : {},
    'message-id': messageId ?? 'undef',
    time_real: timeRealSec,
    milter: {},
    scan_id: result.id,
  };
}

export async function checkv2(req: IncomingMessage, res: ServerResponse, deps: HttpDeps, thresholds: Readonly<Record<string, number>>): Promise<number> {
  const started = Date.now();
  const meta = readRequestMeta(req.headers, req.rawHeaders);
  const wait = meta.deadlineSec ?? CHECKV2_DEFAULT_WAIT_SEC;
  const outcome = await submitAndWait(req, meta, deps, wait);
  let result: ScanResult | null = outcome.done ? outcome.result : await deps.partialResult(outcome.scanId);
  if (!result) {
    // Nothing to report yet (the aggregation job could not be read): an honest empty answer.
    result = {
      id: outcome.done ? outcome.result.id : outcome.scanId, state: 'queued', action: 'no action', score: 0,
      required_score: thresholds.reject ?? 15, symbols: {}, message: null, parts: [], skipped: {}, queue_id: meta.queueId, elapsed_ms: Date.now() - started,
    };
  }
  sendJson(res, 200, toRspamdReply(result, thresholds, outcome.messageId, (Date.now() - started) / 1000));
  return 200;
}
