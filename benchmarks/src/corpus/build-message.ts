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

/** An RFC 5322 message (CRLF): text only, or multipart/mixed with base64 attachments. */
export function buildMessage(h: MessageHeaders, text: string, attachments: readonly AttachmentFile[]): Buffer {
  const head = [
    `From: ${h.from}`,
    `To: ${h.to}`,
    `Subject: ${h.subject}`,
    `Date: ${h.date}`,
    `Message-ID: <bench-${h.n}@avfleet.bench>`,
    'MIME-Version: 1.0',
  ];
  const body = text.replace(/\r?\n/g, '\r\n');
  if (attachments.length === 0) {
    return Buffer.from([...head, 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', body, ''].join('\r\n'), 'utf8');
  }
  const boundary = `=_avfleet_bench_${h.n.toString(36)}_boundary`;
  const lines = (l: readonly string[]): Buffer => Buffer.from(l.map((x) => `${x}\r\n`).join(''), 'utf8');
  const out: Buffer[] = [
    lines([...head, `Content-Type: multipart/mixed; boundary="${boundary}"`, '', 'This is a multi-part message in MIME format.', '']),
    lines([`--${boundary}`, 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', body, '']),
  ];
  for (const a of attachments) {
    out.push(
      lines([
        `--${boundary}`,
        `Content-Type: ${a.contentType}; name="${a.filename}"`,
        'Content-Transfer-Encoding: base64',
        `Content-Disposition: attachment; filename="${a.filename}"`,
        '',
      ]),
      base64Lines(a.data),
      lines(['', '']),
    );
  }
  out.push(lines([`--${boundary}--`]));
  return Buffer.concat(out);
}
