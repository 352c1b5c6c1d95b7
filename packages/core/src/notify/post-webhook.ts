import type { WebhookAttempt } from './classify-webhook-reply';

/**
 * One POST of `body` to `url`, bounded by `timeoutMs` from the start to the reply's status line
 * and headers. Never throws: the result is what the receiver answered, or why nothing was
 * answered. Redirects are not followed (classify-webhook-reply.ts); the reply's body is not read.
 */
export async function postWebhook(opts: {
  readonly url: string;
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
}): Promise<WebhookAttempt> {
  const signal = AbortSignal.timeout(opts.timeoutMs);
  try {
    const res = await fetch(opts.url, { method: 'POST', body: opts.body, headers: opts.headers, redirect: 'manual', signal });
    await res.body?.cancel().catch(() => undefined);
    return { kind: 'status', status: res.status };
  } catch (err) {
    if (signal.aborted) return { kind: 'timeout', afterMs: opts.timeoutMs };
    return { kind: 'connection', detail: connectionDetail(err) };
  }
}

/** fetch reports `TypeError: fetch failed` with the socket's error as its cause (ECONNREFUSED, ENOTFOUND, a TLS error). */
function connectionDetail(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
}
