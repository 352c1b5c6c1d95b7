import { isTransportError, TransportError } from '../errors';
import type { AttemptEvent, AttemptObserver } from '../scanner';
import { fail, type FailVerdict } from '../verdict';
import type { Upstream, UpstreamList } from './upstream-list';

/** The exact FAIL texts of docs/scanners.md ("Things common to all socket scanners"). */
export const FAIL_NO_UPSTREAM = 'no upstream available (DNS pending or all dead)';
export const FAIL_NO_UPSTREAM_FOR_RETRY = 'no upstream available for retry';
export const FAIL_RETRANSMITS_EXCEED = 'failed to scan and retransmits exceed';
export const FAIL_DEADLINE = 'scan deadline passed before the scanner answered';
/** The caller aborted the scan (its signal fired): reason `deadline`. */
export const FAIL_ABORTED = 'scan aborted by the caller';

export interface RetransmitOptions {
  /** Seconds per attempt: connect plus the whole exchange. */
  readonly timeoutSec: number;
  /** Extra attempts after the first, on I/O errors only. */
  readonly retransmits: number;
  readonly onAttempt?: AttemptObserver;
  /** Caller's absolute deadline (ms since epoch): attempts are cut to it, and past it the answer is FAIL(deadline). */
  readonly deadlineMs?: number;
  readonly signal?: AbortSignal;
}

export interface AttemptContext {
  readonly upstream: Upstream;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Absolute deadline of this attempt (ms since epoch), for SocketConnection. */
  readonly deadlineMs: number;
  readonly signal?: AbortSignal;
  /** The request was written completely: the server counts as healthy (docs/semantics.md §10.3). */
  markHealthy(): void;
}

export type RetransmitOutcome<T> =
  | { readonly ok: true; readonly value: T; readonly upstream: Upstream }
  | { readonly ok: false; readonly verdict: FailVerdict; readonly error: Error | null };

/**
 * Runs `attempt` on servers picked from `list` until it returns, retrying on
 * TransportError up to `retransmits` extra times (preferring another alive
 * server). A value returned by `attempt` is final (a FAIL verdict mapped from
 * a reply is never retried); any other thrown error ends the scan at once.
 * Exhaustion becomes the FAIL verdict worded as in docs/scanners.md, with reason
 * `timeout` when the last error was a timeout, else `error`.
 */
export async function withRetransmits<T>(
  list: UpstreamList,
  options: RetransmitOptions,
  attempt: (ctx: AttemptContext) => Promise<T>,
): Promise<RetransmitOutcome<T>> {
  const maxAttempts = 1 + Math.max(0, Math.floor(options.retransmits));
  let last: Upstream | undefined;
  let lastError: Error | null = null;
  const reasonOf = (): 'timeout' | 'error' =>
    lastError !== null && isTransportError(lastError) && lastError.code === 'AVF_ERR_TRANSPORT_TIMEOUT' ? 'timeout' : 'error';
  const failed = (text: string, reason: FailVerdict['reason'] = reasonOf()): RetransmitOutcome<T> => ({ ok: false, verdict: fail(text, reason), error: lastError });

  for (let n = 1; n <= maxAttempts; n++) {
    if (options.signal?.aborted) return failed(FAIL_ABORTED, 'deadline');
    const now = Date.now();
    if (options.deadlineMs !== undefined && now >= options.deadlineMs) return failed(FAIL_DEADLINE, 'deadline');
    const upstream = list.pick(last);
    if (!upstream) return failed(n === 1 ? FAIL_NO_UPSTREAM : FAIL_NO_UPSTREAM_FOR_RETRY);
    last = upstream;
    const deadlineMs = Math.min(now + options.timeoutSec * 1000, options.deadlineMs ?? Infinity);
    let healthy = false;
    const ctx: AttemptContext = {
      upstream,
      attempt: n,
      deadlineMs,
      ...(options.signal ? { signal: options.signal } : {}),
      markHealthy: () => {
        healthy = true;
        list.markSuccess(upstream);
      },
    };
    try {
      const value = await attempt(ctx);
      if (!healthy) list.markSuccess(upstream);
      notifyAttempt(options.onAttempt, { server: upstream.name, attempt: n, ok: true, ms: Date.now() - now });
      return { ok: true, value, upstream };
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      lastError = error;
      notifyAttempt(options.onAttempt, { server: upstream.name, attempt: n, ok: false, error: errorLabel(error), ms: Date.now() - now });
      if (!(error instanceof TransportError)) return failed(`scan failed: ${error.message}`, 'error');
      list.markFailure(upstream);
      if (error.code === 'AVF_ERR_TRANSPORT_CONNECT') list.markUnreachable(upstream);
      if (options.deadlineMs !== undefined && Date.now() >= options.deadlineMs) return failed(FAIL_DEADLINE, 'deadline');
    }
  }
  return failed(FAIL_RETRANSMITS_EXCEED);
}

/** Reports one attempt to `observer`; an observer (metrics, logs) that throws must not change the scan's outcome. */
export function notifyAttempt(observer: AttemptObserver | undefined, e: AttemptEvent): void {
  try {
    observer?.(e);
  } catch {
    // ignored on purpose
  }
}

function errorLabel(e: Error): string {
  return isTransportError(e) ? `${e.code}: ${e.message}` : e.message;
}
