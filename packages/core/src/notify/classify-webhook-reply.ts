/** What one webhook attempt came to (post-webhook.ts): a status line, or no reply at all. */
export type WebhookAttempt =
  | { readonly kind: 'status'; readonly status: number }
  | { readonly kind: 'timeout'; readonly afterMs: number }
  /** Refused, reset, DNS, TLS: no HTTP reply. `detail` is the error's code or text. */
  | { readonly kind: 'connection'; readonly detail: string };

/** `delivered`: done; `retry`: try again after the backoff; `permanent`: the receiver refused it for good. */
export type WebhookDisposition = 'delivered' | 'retry' | 'permanent';

/**
 * 2xx is delivered. 5xx, 408 (request timeout), 429 (too many requests), a timeout and a
 * connection failure are retried: the receiver may be back later. Any other status — 4xx (the
 * receiver refuses this request: bad signature, unknown path, no permission), 3xx (a redirect
 * is not followed: it would send the signed event to another address), 1xx — is permanent:
 * the same bytes would be refused again.
 */
export function classifyWebhookAttempt(a: WebhookAttempt): WebhookDisposition {
  if (a.kind !== 'status') return 'retry';
  if (a.status >= 200 && a.status < 300) return 'delivered';
  if (a.status >= 500 || a.status === 408 || a.status === 429) return 'retry';
  return 'permanent';
}

/** A short text of an attempt for logs. */
export function describeWebhookAttempt(a: WebhookAttempt): string {
  switch (a.kind) {
    case 'status':
      return `HTTP ${a.status}`;
    case 'timeout':
      return `no reply within ${a.afterMs} ms`;
    case 'connection':
      return `connection failed (${a.detail})`;
  }
}
