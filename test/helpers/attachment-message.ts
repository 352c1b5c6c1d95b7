/**
 * A multipart message with a text part and one base64 attachment
 * (`file.com`, the bytes of `attachment` as latin1); `tag` goes into the
 * Subject, the Message-ID, the text and the boundary, so each tag is a
 * different message (no verdict-cache hit from another).
 */
export function messageWithAttachment(tag: string, attachment: string, subject = tag): string {
  const b = `b-${tag}`;
  return [
    'From: sender@example.org', 'To: rcpt@example.org', `Subject: ${subject}`, `Message-ID: <${tag}@avfleet.test>`,
    'MIME-Version: 1.0', `Content-Type: multipart/mixed; boundary="${b}"`, '',
    `--${b}`, 'Content-Type: text/plain', '', `hello ${tag}`,
    `--${b}`, 'Content-Type: application/octet-stream; name="file.com"', 'Content-Disposition: attachment; filename="file.com"',
    'Content-Transfer-Encoding: base64', '', Buffer.from(attachment, 'latin1').toString('base64'),
    `--${b}--`, '',
  ].join('\r\n');
}
