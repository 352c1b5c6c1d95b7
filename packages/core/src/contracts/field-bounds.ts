import type { RequestMeta } from './request-meta';

/**
 * Bounds on what a client controls in the data that crosses processes and
 * stays in Redis (job data, results): a client names its parts, so a name is
 * cut, never carried whole (README "Limits"). Part selection and file-name
 * filters run on the full names before any of this (mime/select-parts.ts);
 * only what is carried and shown is cut. The request's metadata (envelope,
 * client, queue id) has one bound per field, the same for every front end
 * (boundRequestMeta).
 */

/** Bytes of a file name, content type or detected type carried in jobs and results (NAME_MAX of common file systems). */
export const MAX_NAME_BYTES = 255;

/** Bytes of a result's `message` (the forced action's text). */
export const MAX_MESSAGE_BYTES = 1024;

/** Parts listed in a result; the rest are counted in `parts_omitted` (docs/interfaces.md §3). */
export const MAX_RESULT_PARTS = 100;

/** Bytes of the end of a cut name that are kept after the marker, so the extension stays visible. */
const TAIL_BYTES = 32;

/** `…[N bytes cut]…`: what replaces the middle of a cut text. */
function marker(cutBytes: number): string {
  return `…[${cutBytes} bytes cut]…`;
}

/** Index of the first byte of the UTF-8 sequence that holds byte `i` (never splits a character). */
function charStart(buf: Buffer, i: number): number {
  let j = i;
  while (j > 0 && j < buf.length && (buf[j] & 0xc0) === 0x80) j -= 1;
  return j;
}

/**
 * `text` itself when it fits in `maxBytes` UTF-8 bytes; else its head and the
 * last bytes joined by a marker saying how many bytes were cut, at most
 * `maxBytes` long in all. Characters are never split.
 */
export function boundText(text: string, maxBytes: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return text;
  // The marker's own length depends on the count it shows; the count only shrinks as the marker grows, so one pass with the widest count suffices.
  const room = Math.max(0, maxBytes - Buffer.byteLength(marker(buf.length)));
  const tailBytes = Math.min(TAIL_BYTES, Math.floor(room / 4));
  const tailStart = charStart(buf, buf.length - tailBytes);
  const headEnd = charStart(buf, room - (buf.length - tailStart));
  const cut = tailStart - headEnd;
  return buf.subarray(0, headEnd).toString('utf8') + marker(cut) + buf.subarray(tailStart).toString('utf8');
}

/** A file name, content type or detected type as jobs and results carry it: null stays null. */
export function boundName(name: string | null): string | null {
  return name === null ? null : boundText(name, MAX_NAME_BYTES);
}

/** Bytes of an envelope address (the sender, each recipient) and of `User`: RFC 5321 §4.5.3.1.3, a path is at most 256 octets. */
export const MAX_ADDRESS_BYTES = 256;

/** Bytes of a host name (the HELO/EHLO argument, the client's resolved name) and of the client address: RFC 5321 §4.5.3.1.2, a domain is at most 255 octets. */
export const MAX_HOST_BYTES = 255;

/** Bytes of a queue id (Postfix's long ids are under 20 bytes, Exim's 23). */
export const MAX_QUEUE_ID_BYTES = 64;

/** Envelope recipients carried per message: Postfix's smtpd_recipient_limit (1000). Later ones are dropped. */
export const MAX_RECIPIENTS = 1000;

/**
 * Bytes of one message's request metadata together (client address, HELO, host name, sender,
 * recipients, queue id, user). The fields other than the recipients fit in well under 2 KiB, so
 * this bounds the recipient list: recipients past it are dropped, like those past MAX_RECIPIENTS.
 */
export const MAX_META_BYTES = 32 * 1024;

/** A field of RequestMeta that a client fills. */
export type MetaField = 'ip' | 'helo' | 'hostname' | 'from' | 'rcpt' | 'queueId' | 'user';

/** Control characters (CR, LF, NUL …) could end a header line in a scanner's protocol (ICAP X-Rcpt-To): each becomes `?`. */
const CONTROL = /[\u0000-\u001f\u007f]/;
const CONTROLS = /[\u0000-\u001f\u007f]/g;

/** A metadata value as it is carried: control characters replaced, then cut to `maxBytes` like a name. */
export function boundField(value: string, maxBytes: number): string {
  return boundText(CONTROL.test(value) ? value.replace(CONTROLS, '?') : value, maxBytes);
}

/** An envelope address (or `User`) as it is carried: null stays null. */
export function boundAddress(value: string | null): string | null {
  return value === null ? null : boundField(value, MAX_ADDRESS_BYTES);
}

/** A host name (HELO, the client's name, the client address) as it is carried: null stays null. */
export function boundHost(value: string | null): string | null {
  return value === null ? null : boundField(value, MAX_HOST_BYTES);
}

/** A queue id as it is carried: null stays null. */
export function boundQueueId(value: string | null): string | null {
  return value === null ? null : boundField(value, MAX_QUEUE_ID_BYTES);
}

/** What boundRequestMeta did: the bounded metadata, the fields it changed, and how many recipients it dropped. */
export interface BoundedMeta {
  readonly meta: RequestMeta;
  /** Fields that were cut or cleaned (empty: `meta` is the one given). */
  readonly cut: readonly MetaField[];
  /** Recipients past MAX_RECIPIENTS or MAX_META_BYTES, not carried. */
  readonly rcptDropped: number;
}

/**
 * The request metadata within its bounds, for every front end alike (README "Limits"): each
 * address, host name and queue id cut to its bound with the `…[N bytes cut]…` marker, at most
 * MAX_RECIPIENTS recipients and MAX_META_BYTES in all (later recipients dropped). A value within
 * its bound is kept as it is, so bounding twice changes nothing.
 */
export function boundRequestMeta(meta: RequestMeta): BoundedMeta {
  const cut = new Set<MetaField>();
  let bytes = 0;
  const one = (field: MetaField, value: string | null, maxBytes: number): string | null => {
    if (value === null) return null;
    const bounded = boundField(value, maxBytes);
    if (bounded !== value) cut.add(field);
    bytes += Buffer.byteLength(bounded);
    return bounded;
  };
  const fixed = {
    ip: one('ip', meta.ip, MAX_HOST_BYTES),
    helo: one('helo', meta.helo, MAX_HOST_BYTES),
    hostname: one('hostname', meta.hostname, MAX_HOST_BYTES),
    from: one('from', meta.from, MAX_ADDRESS_BYTES),
    queueId: one('queueId', meta.queueId, MAX_QUEUE_ID_BYTES),
    user: one('user', meta.user, MAX_ADDRESS_BYTES),
  };
  const rcpt: string[] = [];
  for (const r of meta.rcpt) {
    if (rcpt.length >= MAX_RECIPIENTS) break;
    const bounded = boundField(r, MAX_ADDRESS_BYTES);
    const n = Buffer.byteLength(bounded);
    if (bytes + n > MAX_META_BYTES) break;
    if (bounded !== r) cut.add('rcpt');
    rcpt.push(bounded);
    bytes += n;
  }
  const rcptDropped = meta.rcpt.length - rcpt.length;
  if (rcptDropped > 0) cut.add('rcpt');
  if (cut.size === 0) return { meta, cut: [], rcptDropped: 0 };
  return { meta: { ...meta, ...fixed, rcpt }, cut: [...cut], rcptDropped };
}
