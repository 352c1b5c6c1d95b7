/** How far into a stream the header block is looked for. */
export const MAIL_HEADER_SCAN_BYTES = 256 * 1024;

/** Header fields that mark a message (RFC 5322 §3.6, trace fields, MIME-Version); one must be present. */
const MESSAGE_FIELDS: ReadonlySet<string> = new Set([
  'from', 'sender', 'reply-to', 'to', 'cc', 'subject', 'date', 'message-id', 'received', 'return-path', 'mime-version', 'delivered-to',
]);

/** A header field line: a name of printable ASCII but `:` (RFC 5322 ftext), optional blanks (obsolete syntax), a colon. */
const FIELD = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/;

/**
 * Whether a stream is a mail message (RFC 5322) rather than a file: it starts with a header
 * block — every line up to the first empty line (or the end of the stream) is a header field
 * or the continuation of one, the first line a field — within MAIL_HEADER_SCAN_BYTES, and one
 * field is a message field (From, To, Subject, Date, Message-ID, Received, Return-Path,
 * MIME-Version, …). A file that merely starts with `Key: value` lines and no message field is
 * a file. Lines may end in CRLF or LF.
 */
export function looksLikeMail(bytes: Buffer): boolean {
  const head = bytes.subarray(0, MAIL_HEADER_SCAN_BYTES);
  const blank = blankLineAt(head);
  if (blank < 0 && bytes.length > head.length) return false;
  const block = head.toString('latin1', 0, blank < 0 ? head.length : blank);
  const lines = block.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) return false;
  let messageField = false;
  for (const [i, line] of lines.entries()) {
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (i === 0) return false;
      continue;
    }
    const m = FIELD.exec(line);
    if (!m) return false;
    if (MESSAGE_FIELDS.has((m[1] as string).toLowerCase())) messageField = true;
  }
  return messageField;
}

/** Offset of the empty line that ends the header block (`\n\n` or `\n\r\n`), or -1. */
function blankLineAt(head: Buffer): number {
  const lf = head.indexOf('\n\n', 0, 'latin1');
  const crlf = head.indexOf('\n\r\n', 0, 'latin1');
  const ends = [lf, crlf].filter((i) => i >= 0);
  return ends.length === 0 ? -1 : Math.min(...ends) + 1;
}
