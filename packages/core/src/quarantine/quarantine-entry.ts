import type { QuarantineMode } from '@avfleet/config';
import type { RequestMeta } from '../contracts/request-meta';
import type { ScanResult } from '../contracts/scan-result';
import { boundField } from '../contracts/field-bounds';
import { decodeHeaderWords } from '../mime/mime-node-info';

/** Bytes of a Subject an entry keeps (cut on a character boundary). */
export const MAX_SUBJECT_BYTES = 1024;

/** Header bytes read for the Subject: past this no Subject is looked for. */
const MAX_HEADER_SCAN_BYTES = 64 * 1024;

/** A symbol as an entry keeps it: its name and its options (the virus names). */
export interface QuarantineSymbol {
  readonly name: string;
  readonly options?: readonly string[];
}

/** The last release of an entry: when, by whom (a token id, never the token), to which relay. */
export interface QuarantineRelease {
  readonly at: string;
  readonly by: string;
  readonly relay: string;
}

/** One quarantined message as the index keeps it and the API shows it (docs/interfaces.md, "Quarantine"). */
export interface QuarantineEntry {
  /** The scan id. */
  readonly id: string;
  /** ISO time the message was quarantined (its scan finished). */
  readonly quarantined_at: string;
  /** ISO time the producer accepted the message. */
  readonly received_at: string;
  readonly queue_id: string | null;
  /** The envelope sender where the front end knew it (/checkv2 `From`, the milter's MAIL FROM); null otherwise. */
  readonly from: string | null;
  /** The envelope recipients where the front end knew them (/checkv2 `Rcpt`, the milter's RCPT TO). */
  readonly rcpt: readonly string[];
  readonly subject: string | null;
  /** Bytes of the raw message. */
  readonly size: number;
  readonly action: string;
  readonly score: number;
  readonly symbols: readonly QuarantineSymbol[];
  readonly released: QuarantineRelease | null;
}

/** Whether a finished scan goes to the quarantine: `reject` — its final action is reject; `virus` — that, or any virus verdict. */
export function qualifies(mode: QuarantineMode, result: ScanResult): boolean {
  if (mode === 'off') return false;
  if (result.action === 'reject') return true;
  if (mode !== 'virus') return false;
  const verdicts = [...result.parts.flatMap((p) => Object.values(p.verdicts)), ...Object.values(result.message_verdicts ?? {})];
  return verdicts.some((v) => v.kind === 'virus');
}

/** The entry of a finished scan: its result, the request's envelope and the raw message (for the Subject and size). */
export function entryOf(result: ScanResult, input: { readonly meta: RequestMeta; readonly receivedAt: number }, raw: Buffer, now: number): QuarantineEntry {
  return {
    id: result.id,
    quarantined_at: new Date(now).toISOString(),
    received_at: new Date(input.receivedAt).toISOString(),
    queue_id: input.meta.queueId,
    from: input.meta.from === null ? null : envelopeAddress(input.meta.from),
    rcpt: input.meta.rcpt.map(envelopeAddress),
    subject: subjectOf(raw),
    size: raw.length,
    action: result.action,
    score: result.score,
    symbols: Object.values(result.symbols).map((s) => (s.options && s.options.length > 0 ? { name: s.name, options: s.options } : { name: s.name })),
    released: null,
  };
}

/** An address without its angle brackets (`<a@b>` → `a@b`; `<>` → ``). */
export function envelopeAddress(address: string): string {
  const t = address.trim();
  return t.startsWith('<') && t.endsWith('>') ? t.slice(1, -1).trim() : t;
}

/** The first Subject header of the raw message's own header block, unfolded and decoded; null when there is none. */
export function subjectOf(raw: Buffer): string | null {
  const head = raw.subarray(0, MAX_HEADER_SCAN_BYTES).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const block = end === -1 ? head : head.slice(0, end);
  const lines = block.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const m = /^subject[ \t]*:(.*)$/i.exec(lines[i]!);
    if (!m) continue;
    let value = m[1]!;
    for (let j = i + 1; j < lines.length && /^[ \t]/.test(lines[j]!); j++) value += lines[j];
    const text = decodeHeaderWords(Buffer.from(value.trim(), 'latin1').toString('utf8'));
    return boundField(text, MAX_SUBJECT_BYTES);
  }
  return null;
}
