import type { AttachmentFile } from './make-attachment';

export interface MessageHeaders {
  n: number;
  from: string;
  to: string;
  subject: string;
  /** Fixed date so the corpus is reproducible. */
  date: string;
}

/** Base64 in 76-character CRLF lines, built as bytes (strings of this size are slow). */
function base64Lines(data: Buffer): Buffer {
  const b64 = Buffer.from(data.toString('base64'), 'latin1');
  const lines = Math.ceil(b64.length / 76);
  const out = Buffer.allocUnsafe(b64.length + Math.max(0, lines - 1) * 2);
  let o = 0;
  for (let i = 0; i < b64.length; i += 76) {
    if (i > 0) {
      out[o++] = 13;
      out[o++] = 10;
    }
    o += b64.copy(out, o, i, Math.min(i + 76, b64.length));
  }
  return out;
}

/** Quoted-printable (RFC 2045 6.7): CRLF kept as line breaks, soft breaks keep lines at most 76 characters. */
function quotedPrintable(data: Buffer): Buffer {
  const out: string[] = [];
  let line = '';
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b === 13 && data[i + 1] === 10) {
      out.push(line.replace(/[ \t]$/, (c) => `=${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`));
      line = '';
      i++;
      continue;
    }
    const plain = (b >= 33 && b <= 126 && b !== 61) || b === 32 || b === 9;
    const token = plain ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
    if (line.length + token.length > 75) {
      out.push(`${line}=`);
      line = '';
    }
    line += token;
  }
  out.push(line);
  return Buffer.from(out.join('\r\n'), 'latin1');
}

/** A uuencoded block (`begin 644 name` … `end`), 45 bytes per line. */
function uuencode(data: Buffer, name: string): Buffer {
  const enc = (v: number): string => (v === 0 ? '`' : String.fromCharCode(v + 32));
  const lines = [`begin 644 ${name}`];
  for (let i = 0; i < data.length; i += 45) {
    const chunk = data.subarray(i, i + 45);
    let line = enc(chunk.length);
    for (let j = 0; j < chunk.length; j += 3) {
      const [a = 0, b = 0, c = 0] = [chunk[j], chunk[j + 1], chunk[j + 2]];
      line += enc(a >> 2) + enc(((a << 4) | (b >> 4)) & 63) + enc(((b << 2) | (c >> 6)) & 63) + enc(c & 63);
    }
    lines.push(line);
  }
  lines.push('`', 'end');
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

/** Content-Transfer-Encodings the builder writes (`raw` = the bytes as given, no CTE header). */
export type TransferEncoding = 'base64' | 'quoted-printable' | 'x-uuencode' | '7bit' | '8bit' | 'raw';

/** A leaf part: one body with its type, optional file name, disposition and encoding. */
export interface MimeLeaf {
  readonly kind: 'leaf';
  /** Full media type, parameters included (e.g. `text/plain; charset=utf-8`). */
  readonly contentType: string;
  readonly filename?: string;
  /** Where the name goes: Content-Disposition `filename=` (default), Content-Type `name=`, both, or RFC 2231 `filename*=utf-8''…`. */
  readonly nameIn?: 'disposition' | 'type' | 'both' | 'rfc2231';
  /** Default: `attachment` when there is a file name, none otherwise. */
  readonly disposition?: 'attachment' | 'inline' | null;
  readonly contentId?: string;
  readonly encoding: TransferEncoding;
  readonly data: Buffer;
}

/** A multipart container. `unterminated` leaves out the closing boundary (malformed on purpose). */
export interface MimeMultipart {
  readonly kind: 'multipart';
  readonly subtype: string;
  readonly boundary: string;
  readonly parts: readonly MimeNode[];
  readonly unterminated?: boolean;
}

/** A `message/rfc822` part holding a whole message (built with buildMimeMessage). */
export interface MimeMessagePart {
  readonly kind: 'message';
  readonly filename?: string;
  readonly disposition?: 'attachment' | 'inline' | null;
  readonly message: Buffer;
}

export type MimeNode = MimeLeaf | MimeMultipart | MimeMessagePart;

function rfc2231(name: string): string {
  return `utf-8''${[...Buffer.from(name, 'utf8')].map((b) => (/[A-Za-z0-9._-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('')}`;
}

function leafEntity(p: MimeLeaf): Buffer[] {
  const where = p.nameIn ?? 'disposition';
  const typeName = p.filename !== undefined && (where === 'type' || where === 'both') ? `; name="${p.filename}"` : '';
  const head = [`Content-Type: ${p.contentType}${typeName}`];
  const disposition = p.disposition === undefined ? (p.filename !== undefined ? 'attachment' : null) : p.disposition;
  if (disposition) {
    let param = '';
    if (p.filename !== undefined && where === 'rfc2231') param = `; filename*=${rfc2231(p.filename)}`;
    else if (p.filename !== undefined && where !== 'type') param = `; filename="${p.filename}"`;
    head.push(`Content-Disposition: ${disposition}${param}`);
  }
  if (p.contentId) head.push(`Content-ID: <${p.contentId}>`);
  if (p.encoding !== 'raw') head.push(`Content-Transfer-Encoding: ${p.encoding}`);
  const body =
    p.encoding === 'base64' ? base64Lines(p.data)
    : p.encoding === 'quoted-printable' ? quotedPrintable(p.data)
    : p.encoding === 'x-uuencode' ? uuencode(p.data, p.filename ?? 'data.bin')
    : p.data;
  return [Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'utf8'), body];
}

/** One MIME entity (its headers, a blank line and its body) as bytes. */
export function buildMimeEntity(node: MimeNode): Buffer {
  if (node.kind === 'leaf') return Buffer.concat(leafEntity(node));
  if (node.kind === 'message') {
    const disposition = node.disposition === undefined ? 'attachment' : node.disposition;
    const head = ['Content-Type: message/rfc822'];
    if (disposition) head.push(`Content-Disposition: ${disposition}${node.filename !== undefined ? `; filename="${node.filename}"` : ''}`);
    return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'utf8'), node.message]);
  }
  const out: Buffer[] = [Buffer.from(`Content-Type: multipart/${node.subtype}; boundary="${node.boundary}"\r\n\r\nThis is a multi-part message in MIME format.\r\n`, 'utf8')];
  for (const child of node.parts) out.push(Buffer.from(`--${node.boundary}\r\n`, 'latin1'), buildMimeEntity(child), Buffer.from('\r\n', 'latin1'));
  if (!node.unterminated) out.push(Buffer.from(`--${node.boundary}--\r\n`, 'latin1'));
  return Buffer.concat(out);
}

/** A whole RFC 5322 message (CRLF): the given header lines, `MIME-Version: 1.0`, then the root entity. */
export function buildMimeMessage(headers: readonly string[], root: MimeNode): Buffer {
  return Buffer.concat([Buffer.from(`${[...headers, 'MIME-Version: 1.0'].join('\r\n')}\r\n`, 'utf8'), buildMimeEntity(root)]);
}

/** An RFC 5322 message (CRLF): text only, or multipart/mixed with base64 attachments. */
export function buildMessage(h: MessageHeaders, text: string, attachments: readonly AttachmentFile[]): Buffer {
  const head = [`From: ${h.from}`, `To: ${h.to}`, `Subject: ${h.subject}`, `Date: ${h.date}`, `Message-ID: <bench-${h.n}@avfleet.bench>`];
  const body: MimeLeaf = { kind: 'leaf', contentType: 'text/plain; charset=utf-8', encoding: '8bit', data: Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf8') };
  if (attachments.length === 0) return buildMimeMessage(head, body);
  const parts: MimeLeaf[] = attachments.map((a) => ({ kind: 'leaf', contentType: a.contentType, filename: a.filename, nameIn: 'both', encoding: 'base64', data: a.data }));
  return buildMimeMessage(head, { kind: 'multipart', subtype: 'mixed', boundary: `=_avfleet_bench_${h.n.toString(36)}_boundary`, parts: [body, ...parts] });
}
