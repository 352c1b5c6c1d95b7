import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The webhook's signature scheme (README "Webhook"). Each attempt carries
 *
 *   X-Avfleet-Timestamp: <unix seconds when the attempt was made>
 *   X-Avfleet-Signature: sha256=<lower-case hex HMAC-SHA256(secret, "<timestamp>." + body)>
 *
 * The signed material is the timestamp's decimal digits exactly as sent in the header, one
 * `.` (0x2e), then the request body byte for byte (UTF-8 JSON, no trailing newline). A receiver
 * recomputes the HMAC over the bytes it read, compares in constant time, and refuses a
 * timestamp more than its tolerance (5 minutes here) away from its clock: a captured request
 * replayed later no longer verifies, and one re-signed with a new timestamp needs the secret.
 * Retries of one event send the same body with a new timestamp and signature; the event's `id`
 * (also in X-Avfleet-Event-Id) lets a receiver ignore an event it has already handled.
 */
export const SIGNATURE_HEADER = 'x-avfleet-signature';
export const TIMESTAMP_HEADER = 'x-avfleet-timestamp';
export const EVENT_ID_HEADER = 'x-avfleet-event-id';

/** How far a receiver following this scheme lets the timestamp be from its own clock. */
export const DEFAULT_TOLERANCE_SEC = 300;

/** `sha256=<hex>` of `<timestamp>.<body>` under `secret`. */
export function webhookSignature(secret: string, timestamp: string, body: Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(body).digest('hex')}`;
}

/** Why a request does not verify, or `valid`. */
export type WebhookVerdict = 'valid' | 'missing' | 'malformed' | 'stale' | 'bad_signature';

/**
 * A receiver's check (used by the tests' receivers; examples/retro-webhook does the same in
 * Python): both headers present, the timestamp all digits and within `toleranceSec` of
 * `nowSec`, and the signature equal, in constant time, to the one computed over `body`.
 */
export function verifyWebhookSignature(opts: {
  readonly secret: string;
  readonly body: Buffer;
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
  readonly nowSec: number;
  readonly toleranceSec?: number;
}): WebhookVerdict {
  const { timestamp, signature } = opts;
  if (timestamp === undefined || signature === undefined) return 'missing';
  if (!/^\d{1,12}$/.test(timestamp) || !/^sha256=[0-9a-f]{64}$/.test(signature)) return 'malformed';
  if (Math.abs(opts.nowSec - Number(timestamp)) > (opts.toleranceSec ?? DEFAULT_TOLERANCE_SEC)) return 'stale';
  const expected = Buffer.from(webhookSignature(opts.secret, timestamp, opts.body), 'latin1');
  return timingSafeEqual(expected, Buffer.from(signature, 'latin1')) ? 'valid' : 'bad_signature';
}
