import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ActionThresholds } from '@avfleet/config';
import type { ScanResult } from '@avfleet/core';
import type { HttpDeps } from '../http-deps';
import { readBudgetedBody } from '../read-body';
import { readRequestMeta } from '../request-meta';
import { sendJson } from '../respond';

/** rspamc gives up after 10 s; answer well before that unless the caller sends Deadline. */
const CHECKV2_DEFAULT_WAIT_SEC = 8;
/** Longest the unfinished result is read for after the default wait (8 + 1.5 s stays under rspamc's 10 s). */
const PARTIAL_READ_MS = 1500;

/**
 * Every /checkv2 reply, errors included, is typed exactly `application/json`:
 * Rspamd 3.4's proxy parses an upstream reply only when its Content-Type equals
 * that string (src/rspamd_proxy.c `proxy_backend_parse_results`, compared with
 * `rspamd_ftok_casecmp`), and otherwise keeps no result, so its milter mode tempfails.
 */
export const CHECKV2_REPLY_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'content-type': 'application/json' });

/** One symbol as Rspamd 3.4 writes it: options only when any, description only when configured. */
export interface RspamdSymbol {
  readonly name: string;
  readonly score: number;
  readonly metric_score: number;
  readonly options?: readonly string[];
  readonly description?: string;
}

/** Rspamd 3.4's /checkv2 reply (the keys rspamc reads), plus avfleet's `scan_id`. */
export interface RspamdReply {
  readonly is_skipped: boolean;
  readonly score: number;
  readonly required_score: number;
  readonly action: string;
  readonly symbols: Readonly<Record<string, RspamdSymbol>>;
  readonly messages: Readonly<Record<string, string>>;
  readonly 'message-id': string;
  readonly time_real: number;
  /** avfleet's addition: the scan id, for `GET /scans/:id`. Rspamd-speaking clients ignore it. */
  readonly scan_id: string;
}

/** Rspamd writes the Message-ID without angle brackets, `undef` when there is none. */
export function rspamdMessageId(messageId: string | null): string {
  const bare = messageId?.trim().replace(/^<(.*)>$/, '$1').trim();
  return bare ? bare : 'undef';
}

/** The reply in Rspamd's /checkv2 JSON shape, which rspamc and Rspamd-speaking integrations parse. */
export function toRspamdReply(result: ScanResult, messageId: string | null, timeRealSec: number): RspamdReply {
  const symbols: Record<string, RspamdSymbol> = {};
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
    symbols,
    messages: result.message ? { smtp_message: result.message } : {},
    'message-id': rspamdMessageId(messageId),
    time_real: timeRealSec,
    scan_id: result.id,
  };
}

/**
 * /checkv2 (any method: Rspamd's proxy sends GET with the message as body to a
 * local upstream, POST to a remote one): waits up to the Deadline header (else 8 s); what is not
 * finished by then counts as `deadline` fail verdicts.
 */
export async function checkv2(
  req: IncomingMessage, res: ServerResponse, deps: HttpDeps, thresholds: ActionThresholds, startedAt = Date.now(),
): Promise<number> {
  const meta = readRequestMeta(req.headers, req.rawHeaders, { rspamdIp: true });
  const { raw, reservation } = await readBudgetedBody(req, deps.maxMessageBytes, deps.inflight);
  try {
    const outcome = await deps.submitter.submit({ raw, meta, waitSec: meta.deadlineSec ?? CHECKV2_DEFAULT_WAIT_SEC, startedAt });
    let result: ScanResult | null = outcome.done ? outcome.result : null;
    if (!outcome.done && meta.deadlineSec === null) {
      result = await deps.submitter.readPartial(outcome.scanId, Math.min(PARTIAL_READ_MS, deps.submitter.storeTimeoutMs));
    }
    if (!result) {
      // Nothing to report yet (the aggregation job could not be read in time): an honest empty answer.
      result = {
        id: outcome.done ? outcome.result.id : outcome.scanId, state: 'queued', action: 'no action', score: 0,
        required_score: thresholds.reject ?? 15, symbols: {}, message: null, parts: [], skipped: {}, queue_id: meta.queueId, elapsed_ms: Date.now() - startedAt,
      };
    }
    sendJson(res, 200, toRspamdReply(result, outcome.messageId, (Date.now() - startedAt) / 1000), { ...CHECKV2_REPLY_HEADERS });
    return 200;
  } finally {
    reservation.release();
  }
}
