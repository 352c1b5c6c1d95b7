import { CLAMAV_SIZE_LIMIT_REPLY } from '@avfleet/scanners';
import type { CommandForm } from './clamd-commands';

/** Replies whose text is clamd's own (ClamAV's clamd/session.c). */
export const CLAMD_REPLY = {
  PONG: 'PONG',
  UNKNOWN_COMMAND: 'UNKNOWN COMMAND',
  COMMAND_UNAVAILABLE: 'COMMAND UNAVAILABLE',
  SIZE_LIMIT: CLAMAV_SIZE_LIMIT_REPLY,
  INVALID_IN_SESSION: 'Command invalid inside IDSESSION. ERROR',
  LEGACY_IN_SESSION: 'Only nCMDS\\n and zCMDS\\0 are accepted inside IDSESSION. ERROR',
  STREAM_OK: 'stream: OK',
} as const;

/** Longest text of a FOUND or ERROR reply (a scanner's fail text, a client's path). */
export const MAX_REPLY_TEXT = 512;

/** A text for one reply line: no control characters (a NUL or newline would end the reply early), bounded. */
export function replyText(text: string): string {
  const flat = text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
  return flat.length > MAX_REPLY_TEXT ? `${flat.slice(0, MAX_REPLY_TEXT - 1)}…` : flat;
}

export const streamFound = (name: string): string => `stream: ${replyText(name)} FOUND`;
export const streamError = (reason: string): string => `stream: ${replyText(reason)} ERROR`;

/**
 * One reply on the wire, as clamd's `conn_reply_single`: `<id>: ` inside IDSESSION, then the
 * text and the terminator of the command's form (NUL for `z`, `\n` otherwise).
 */
export function frameReply(text: string, form: CommandForm, sessionId: number | null): Buffer {
  const term = form === 'z' ? '\0' : '\n';
  return Buffer.from(`${sessionId !== null ? `${sessionId}: ` : ''}${text}${term}`, 'utf8');
}
