import type { IntakeErrorCode, ScanResult } from '@avfleet/core';
import { MAX_SYMBOLS_HEADER_CHARS } from './milter-limits';

/** A header the milter appends to an accepted message. */
export interface AddedHeader {
  readonly name: string;
  readonly value: string;
}

/**
 * How the milter ends a message: accept (with headers to add), or an SMTP reply the MTA gives
 * its client (SMFIR_REPLYCODE). Mapping documented in README "Postfix and Sendmail (milter)"
 * and docs/errors.md "Milter".
 */
export type EndOfMessageReply =
  | { readonly kind: 'accept'; readonly headers: readonly AddedHeader[] }
  | { readonly kind: 'reply'; readonly smtp: string };

/** Longest text after the SMTP codes (an SMTP reply line is at most 512 bytes, RFC 5321 §4.5.3.1.5). */
const MAX_REPLY_TEXT = 400;

/**
 * Reply text safe for both MTAs: control characters (CR, LF, NUL, …) become spaces, and `%`
 * is doubled, because Sendmail uses the reply as a format string and Postfix turns `%%` back
 * into `%` (SMFIR_REPLYCODE in milter8_event, Postfix src/milter/milter8.c).
 */
export function sanitiseReplyText(text: string): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  const cut = flat.length > MAX_REPLY_TEXT ? `${flat.slice(0, MAX_REPLY_TEXT - 3)}...` : flat;
  return cut.replace(/%/g, '%%');
}

const reply = (code: string, text: string): EndOfMessageReply => ({ kind: 'reply', smtp: `${code} ${sanitiseReplyText(text)}` });

/** Header text: printable ASCII only (a virus name could carry anything). */
const headerSafe = (s: string): string => s.replace(/[^\x20-\x7e]+/g, '?');

/** `CLAM_VIRUS(Eicar-Test-Signature.UNOFFICIAL), OTHER` — each symbol with its options, cut at MAX_SYMBOLS_HEADER_CHARS. */
export function symbolsHeaderValue(result: ScanResult): string | null {
  const items = Object.values(result.symbols).map((s) => headerSafe(s.options && s.options.length > 0 ? `${s.name}(${s.options.join(',')})` : s.name));
  if (items.length === 0) return null;
  const all = items.join(', ');
  return all.length > MAX_SYMBOLS_HEADER_CHARS ? `${all.slice(0, MAX_SYMBOLS_HEADER_CHARS - 3)}...` : all;
}

/**
 * The verdict as the MTA's answer: `reject` → `550 5.7.1 <the rule's message>`; `soft reject`
 * (a rule's action or its fail_action) → `451 4.7.1 <message>`; any other action accepts,
 * adding `X-Virus-Scanned: avfleet` and `X-Avfleet-Symbols` when `addHeaders`.
 */
export function replyForResult(result: ScanResult, addHeaders: boolean): EndOfMessageReply {
  if (result.action === 'reject') return reply('550 5.7.1', result.message ?? 'avfleet: message rejected by the antivirus scan');
  if (result.action === 'soft reject') return reply('451 4.7.1', result.message ?? 'avfleet: antivirus scan failed, try again later');
  if (!addHeaders) return { kind: 'accept', headers: [] };
  const symbols = symbolsHeaderValue(result);
  return {
    kind: 'accept',
    headers: [{ name: 'X-Virus-Scanned', value: 'avfleet' }, ...(symbols === null ? [] : [{ name: 'X-Avfleet-Symbols', value: symbols }])],
  };
}

/** A refused submission: back-pressure and outages defer the message (the MTA retries); an empty one has nothing to scan. */
export function replyForIntakeError(code: IntakeErrorCode, retryAfterSec: number | null): EndOfMessageReply {
  const later = retryAfterSec === null ? 'try again later' : `try again in ${retryAfterSec} s`;
  switch (code) {
    case 'AVF_ERR_QUEUE_FULL':
      return reply('451 4.7.1', `avfleet: too many messages wait to be scanned, ${later}`);
    case 'AVF_ERR_UNAVAILABLE':
      return reply('451 4.7.1', `avfleet: the scanning service is unavailable, ${later}`);
    case 'AVF_ERR_BUSY':
      return reply('451 4.3.2', `avfleet: too many messages are being received, ${later}`);
    case 'AVF_ERR_EMPTY_BODY':
      return { kind: 'accept', headers: [] };
  }
}

/**
 * Over AVFLEET_MAX_MESSAGE_BYTES: a permanent `552 5.3.4`, as Postfix itself answers a message
 * over its message_size_limit. Deferring would only make the sender retry the same bytes for
 * days and bounce in the end; set AVFLEET_MAX_MESSAGE_BYTES at or above message_size_limit and
 * this reply never comes.
 */
export function replyForOversize(maxBytes: number): EndOfMessageReply {
  return reply('552 5.3.4', `avfleet: message too big to scan (over ${maxBytes} bytes)`);
}

/** No verdict by the deadline and none readable: defer (the sender's MTA retries). */
export const replyForUnfinished = (): EndOfMessageReply => reply('451 4.7.1', 'avfleet: the scan did not finish in time, try again later');

/** A bug in avfleet (logged): defer rather than lose or wrongly refuse the message. */
export const replyForInternalError = (): EndOfMessageReply => reply('451 4.3.0', 'avfleet: internal error, try again later');
