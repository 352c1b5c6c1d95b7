import { clean, encrypted, fail, macro, virus, type Verdict } from '../../verdict';

/** clamd's answer when a stream exceeds its `StreamMaxLength`. */
export const CLAMAV_SIZE_LIMIT_REPLY = 'INSTREAM size limit exceeded. ERROR';

/** `/stream: (.+) FOUND/`, greedy (runs to the last ` FOUND`); `.` also crosses newlines as in Lua. */
const FOUND = /stream: ([\s\S]+) FOUND/;

/**
 * Maps one clamd INSTREAM reply (the text before the NUL) to a verdict, in the
 * order of the mapping table of docs/scanners.md "clamav". Never throws.
 *
 * Where Rspamd emits nothing for an unparseable reply (defect), this answers
 * FAIL("unhandled response: <reply>"); the size-limit error is such a reply
 * and gets reason `limits`.
 */
export function mapClamavReply(reply: string): Verdict {
  if (reply === 'stream: OK') return clean();
  const m = FOUND.exec(reply);
  const name = m?.[1];
  if (name === undefined) {
    const reason = reply.includes('size limit exceeded') ? 'limits' : 'error';
    return fail(`unhandled response: ${reply}`, reason);
  }
  if (name.startsWith('Heuristics.Encrypted')) return encrypted(`File is encrypted: ${name}`);
  if (name.startsWith('Heuristics.OLE2.ContainsMacros')) return macro(name);
  if (name.startsWith('Heuristics.Limits.Exceeded')) return fail(`Limits Exceeded: ${name}`, 'limits');
  return virus([name]);
}

/** True for the reply that must not be retried on another server after a write error. */
export function isClamavSizeLimitReply(reply: string): boolean {
  return reply.includes('size limit exceeded');
}

/**
 * The database version in a `VERSION` reply, e.g. `ClamAV 1.4.6/27412/Tue Sep 24 08:34:05 2024` → `27412`.
 * null when there is no `/<db version>/` part (clamd with only a local database answers `ClamAV 1.4.6`).
 */
export function parseClamavVersion(reply: string): string | null {
  const m = /^ClamAV [^/]+\/(\d+)(?:\/|$)/.exec(reply.trim());
  return m?.[1] ?? null;
}
