import { isTransportError } from '../../errors';
import type { AttemptObserver, ScanBody, ScanContext } from '../../scanner';
import { httpRequest, type HttpResponse } from '../../transport/http-request';
import { FAIL_ABORTED, FAIL_DEADLINE, notifyAttempt } from '../../transport/with-retransmits';
import { fail, type Verdict } from '../../verdict';
import { bodyDigest, defaultCategorySymbols, HASH_DEFAULT_THRESHOLDS, type HashCategoryName, type HashCategorySymbol, type HashThresholds } from './hash-category';

/** Options of a hash-lookup client (virustotal, metadefender), already resolved from the rule. */
export interface HashLookupClientOptions {
  readonly apikey: string;
  /** Base URL (default: the service's public API). Tests point it at a simulator. */
  readonly url?: string;
  /** Seconds for the one request (there are no retries). */
  readonly timeoutSec: number;
  readonly minimumEngines?: number;
  readonly lowCategory?: number;
  readonly mediumCategory?: number;
  /** Merged over the type's default symbols (`VIRUSTOTAL_CLEAN`, …). */
  readonly symbols?: Partial<Readonly<Record<HashCategoryName, HashCategorySymbol>>>;
  /** https: verify the certificate (default true). */
  readonly rejectUnauthorized?: boolean;
  readonly onAttempt?: AttemptObserver;
}

export function resolveThresholds(o: HashLookupClientOptions, symbolPrefix: string): HashThresholds {
  return {
    minimumEngines: o.minimumEngines ?? HASH_DEFAULT_THRESHOLDS.minimumEngines,
    lowCategory: o.lowCategory ?? HASH_DEFAULT_THRESHOLDS.lowCategory,
    mediumCategory: o.mediumCategory ?? HASH_DEFAULT_THRESHOLDS.mediumCategory,
    symbols: { ...defaultCategorySymbols(symbolPrefix), ...(o.symbols ?? {}) },
  };
}

export interface HashRequest {
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * One lookup: digest the body, one GET with one deadline, map the reply.
 * Never retries (docs/semantics.md §10.4). Transport errors become
 * `FAIL("HTTP error: <error>")` with weight 1 (D14).
 */
export async function runHashLookup(
  o: HashLookupClientOptions,
  body: ScanBody,
  ctx: ScanContext,
  algorithm: 'md5' | 'sha256',
  build: (hash: string) => HashRequest,
  map: (res: HttpResponse, hash: string) => Verdict,
): Promise<Verdict> {
  let hash: string;
  try {
    hash = await bodyDigest(body, algorithm);
  } catch (e) {
    return fail(`cannot read the body to hash: ${e instanceof Error ? e.message : String(e)}`, 'error');
  }
  const started = Date.now();
  if (ctx.signal?.aborted) return fail(FAIL_ABORTED, 'deadline');
  if (ctx.deadlineMs !== undefined && started >= ctx.deadlineMs) return fail(FAIL_DEADLINE, 'deadline');
  const req = build(hash);
  const server = safeHost(req.url);
  try {
    const res = await httpRequest({
      url: req.url,
      method: 'GET',
      ...(req.headers ? { headers: req.headers } : {}),
      deadlineMs: Math.min(started + o.timeoutSec * 1000, ctx.deadlineMs ?? Infinity),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(o.rejectUnauthorized !== undefined ? { rejectUnauthorized: o.rejectUnauthorized } : {}),
    });
    notifyAttempt(o.onAttempt, { server, attempt: 1, ok: true, ms: Date.now() - started });
    return map(res, hash);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    notifyAttempt(o.onAttempt, { server, attempt: 1, ok: false, error: isTransportError(e) ? `${e.code}: ${message}` : message, ms: Date.now() - started });
    if (ctx.deadlineMs !== undefined && Date.now() >= ctx.deadlineMs) return fail(FAIL_DEADLINE, 'deadline');
    const reason = isTransportError(e) && e.code === 'AVF_ERR_TRANSPORT_TIMEOUT' ? 'timeout' : 'error';
    return fail(`HTTP error: ${message}`, reason, 1);
  }
}

/** The JSON body of a 200 reply, or the `Bad JSON reply: <parser error>` failure. */
export function parseJsonReply(res: HttpResponse): { ok: true; value: unknown } | { ok: false; verdict: Verdict } {
  try {
    return { ok: true, value: JSON.parse(res.body.toString('utf8')) as unknown };
  } catch (e) {
    return { ok: false, verdict: fail(`Bad JSON reply: ${e instanceof Error ? e.message : String(e)}`, 'error', 1) };
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
