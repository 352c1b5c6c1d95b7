import { MAIL_HEADER_SCAN_BYTES, looksLikeMail } from './looks-like-mail';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('looksLikeMail: a header block with a message field first', () => {
  it('takes messages with CRLF or LF lines, folded fields, and a message without a body', () => {
    expect(looksLikeMail(b('From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nbody'))).toBe(true);
    expect(looksLikeMail(b('Received: from x\n\tby y; Mon, 1 Jan 2024\nMessage-ID: <a@b>\n\nbody'))).toBe(true);
    expect(looksLikeMail(b('Return-Path: <a@b>\nX-Spam: yes\nMIME-Version: 1.0\n'))).toBe(true);
    expect(looksLikeMail(b('subject: lower case works\n\n'))).toBe(true);
  });

  it('refuses files: no message field, a non-field line in the block, a continuation first, binary', () => {
    expect(looksLikeMail(b('Name: value\nOther: thing\n\ntext'))).toBe(false);
    expect(looksLikeMail(b('From: a@b\nthis is not a header\n\nbody'))).toBe(false);
    expect(looksLikeMail(b(' From: a@b\n\n'))).toBe(false);
    expect(looksLikeMail(b('\r\nFrom: a@b\r\n\r\n'))).toBe(false);
    expect(looksLikeMail(b('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'))).toBe(false);
    expect(looksLikeMail(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0]))).toBe(false);
    expect(looksLikeMail(b('%PDF-1.4\n'))).toBe(false);
    expect(looksLikeMail(b('From me to you: a poem\n\n'))).toBe(false);
    expect(looksLikeMail(Buffer.alloc(0))).toBe(false);
  });

  it('a header block that does not end within the scanned bytes is not mail', () => {
    const long = `Subject: x\n${'X-Pad: y\n'.repeat(MAIL_HEADER_SCAN_BYTES / 9 + 10)}\nbody`;
    expect(looksLikeMail(b(long))).toBe(false);
    expect(looksLikeMail(b(`Subject: x\n${'X-Pad: y\n'.repeat(1000)}\nbody`))).toBe(true);
  });
});
