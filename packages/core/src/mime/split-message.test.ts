import { MimeError } from './mime-error';
import type { MimePart } from './mime-part';
import { splitAsSingleFile, splitMessage } from './split-message';
import { decodeTransferEncoding } from './transfer-decoding';

const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';
const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');

function multipart(parts: string[], boundary = 'BB', extraHeaders = ''): string {
  return `From: a@example.com\r\nSubject: =?utf-8?q?Hall=C3=B6?=\r\nMessage-ID: <m1@x>\r\n${extraHeaders}MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="${boundary}"\r\n\r\npreamble\r\n` +
    parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('') + `--${boundary}--\r\n`;
}

const split = (text: string) => splitMessage(Buffer.from(text, 'utf8'));

describe('splitMessage', () => {
  it('numbers leaves depth-first, decodes content and summarises headers', async () => {
    const msg = multipart([
      'Content-Type: text/plain; charset=utf-8\r\n\r\nHello there, two three four',
      `Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="eicar.com"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(EICAR)}`,
      'Content-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>caf=C3=A9 =\r\nsoft</p>',
    ]);
    const m = await split(msg);
    expect(m.parts.map((p) => p.index)).toEqual(['1', '2', '3']);
    expect(m.parts[1]).toMatchObject({ filename: 'eicar.com', isAttachment: true, isText: false, detectedExt: 'txt', size: 68 });
    expect(m.parts[1].content.toString('latin1')).toBe(EICAR);
    expect(m.parts[2].content.toString('utf8')).toBe('<p>café soft</p>');
    expect(m.parts[0]).toMatchObject({ isText: true, words: 5, isAttachment: false });
    expect(m.textWordCounts).toEqual([5, 2]);
    expect(m.headers).toEqual({ messageId: '<m1@x>', subject: 'Hallö', from: 'a@example.com' });
    expect(m.rawSize).toBe(Buffer.byteLength(msg));
  });

  it('takes the file name from Content-Disposition, then Content-Type name, then Content-Type filename', async () => {
    const m = await split(multipart([
      'Content-Type: application/pdf; name="ct.pdf"\r\nContent-Disposition: attachment; filename="cd.pdf"\r\n\r\nx',
      'Content-Type: application/pdf; name="ct-name.pdf"; filename="ct-filename.pdf"\r\nContent-Disposition: inline\r\n\r\nx',
      'Content-Type: application/pdf; filename="only-ct-filename.pdf"\r\n\r\nx',
      "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=utf-8''%D1%81%D1%87%D1%91%D1%82.com\r\n\r\nx",
      'Content-Type: application/octet-stream; name="=?utf-8?b?w6TDtsO8LmV4ZQ==?="\r\n\r\nx',
    ]));
    expect(m.parts.map((p) => [p.filename, p.filenameFromContentType])).toEqual([
      ['cd.pdf', false], ['ct-name.pdf', true], ['only-ct-filename.pdf', true], ['счёт.com', false], ['äöü.exe', true],
    ]);
  });

  it('applies the attachment definition of docs/semantics.md §3.2', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001', 'hex');
    const m = await split(multipart([
      // name from Content-Type makes an attachment even when inline
      'Content-Type: application/pdf; name="a.pdf"\r\nContent-Disposition: inline\r\n\r\nx',
      // file name, not an image, no Content-ID
      'Content-Type: application/pdf\r\nContent-Disposition: inline; filename="b.pdf"\r\n\r\nx',
      // file name but Content-ID: not an attachment
      'Content-Type: application/pdf\r\nContent-ID: <c@x>\r\nContent-Disposition: inline; filename="c.pdf"\r\n\r\nx',
      // a real inline image with a file name is not an attachment
      `Content-Type: image/png\r\nContent-Disposition: inline; filename="d.png"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(png)}`,
      // declared image that does not decode as one is not an image
      `Content-Type: image/png\r\nContent-Disposition: inline; filename="e.png"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(EICAR)}`,
      // disposition attachment without a name
      'Content-Type: application/octet-stream\r\nContent-Disposition: attachment\r\n\r\nx',
      // no name, no disposition
      'Content-Type: application/octet-stream\r\n\r\nx',
      // text part with attachment disposition is not a text part
      'Content-Type: text/plain\r\nContent-Disposition: attachment; filename="t.txt"\r\n\r\nsome words here',
    ]));
    expect(m.parts.map((p) => [p.isAttachment, p.isImage, p.isText])).toEqual([
      [true, false, false], [true, false, false], [false, false, false], [false, true, false],
      [true, false, false], [true, false, false], [false, false, false], [true, false, false],
    ]);
    expect(m.parts[2].hasContentId).toBe(true);
  });

  it('opens attached messages: their leaves get paths, the message itself is no part', async () => {
    const inner = multipart(['Content-Type: text/plain\r\n\r\ninner text',
      `Content-Type: application/octet-stream; name="x.com"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(EICAR)}`], 'IN');
    const m = await split(multipart([
      'Content-Type: text/plain\r\n\r\nouter',
      `Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename="fwd.eml"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(inner)}`,
      'Content-Type: application/pdf; name="last.pdf"\r\n\r\n%PDF-1.4',
    ], 'OUT'));
    expect(m.parts.map((p) => p.index)).toEqual(['1', '2.1', '2.2', '3']);
    expect(m.parts[2]).toMatchObject({ filename: 'x.com', size: 68 });
    expect(m.containers).toEqual([{ index: '2', kind: 'rfc822', filename: 'fwd.eml' }]);
    expect(m.textWordCounts).toEqual([1, 2]);
  });

  it('decodes x-uuencode bodies and begin-644 blocks inside text parts', async () => {
    const enc = uuencode(Buffer.from(EICAR, 'latin1'));
    const m = await split(multipart([
      `Content-Type: text/plain\r\n\r\nSee below\r\n\r\nbegin 644 body.com\r\n${enc}\`\r\nend\r\n\r\nbye`,
      `Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 att.com\r\n${enc}\`\r\nend\r\n`,
    ]));
    expect(m.parts.map((p) => [p.index, p.origin, p.filename, p.isAttachment])).toEqual([
      ['1', 'mime', null, false], ['1.1', 'uuencode', 'body.com', true], ['2', 'mime', 'att.com', true],
    ]);
    expect(m.parts[1].content.toString('latin1')).toBe(EICAR);
    expect(m.parts[2].content.toString('latin1')).toBe(EICAR);
  });

  it('splits messages that are not MIME, empty, or headers only', async () => {
    expect((await split('Subject: x\r\n\r\nplain body')).parts).toMatchObject([{ index: '1', declaredType: 'text/plain', isText: true }]);
    expect((await split('')).parts.length).toBeLessThanOrEqual(1);
    expect((await split('Subject: only headers\r\n')).parts).toMatchObject([{ size: 0 }]);
    expect((await splitMessage(Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 13, 10, 0])))).toBeDefined();
  });

  it('refuses too many parts and too deep nesting with a MimeError', async () => {
    const many = multipart(Array.from({ length: 30 }, (_, i) => `Content-Type: text/plain\r\n\r\n${i}`));
    await expect(splitMessage(Buffer.from(many), { maxParts: 10 })).rejects.toMatchObject({ code: 'AVF_ERR_MIME_TOO_MANY_PARTS' });
    let deep = 'Content-Type: text/plain\r\n\r\nleaf';
    for (let i = 0; i < 12; i++) deep = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${deep}\r\n--b${i}--\r\n`;
    const err = await splitMessage(Buffer.from(deep), { maxDepth: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MimeError);
    expect(err).toMatchObject({ code: 'AVF_ERR_MIME_TOO_DEEP' });
    await expect(splitMessage(Buffer.from(deep), { maxDepth: 20 })).resolves.toMatchObject({ parts: [{ index: '1' }] });
    const bigHeader = `X-Long: ${'a'.repeat(5000)}\r\nSubject: x\r\n\r\nbody`;
    await expect(splitMessage(Buffer.from(bigHeader), { maxHeaderBytes: 1000 })).rejects.toMatchObject({ code: 'AVF_ERR_MIME_HEADERS_TOO_LARGE' });
  });
});

/** The part's content as a worker gets it back: its range of the raw message, decoded. */
function fromRange(raw: Buffer, part: MimePart): Buffer {
  const r = part.range;
  if (!r) throw new Error(`part ${part.index} has no range`);
  return decodeTransferEncoding(raw.subarray(r.offset, r.offset + r.length), r.encoding).content;
}

describe('part ranges in the raw message', () => {
  const bin = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 37 + 11) & 0xff));
  const b64Lines = (data: Buffer, eol: string): string => (data.toString('base64').match(/.{1,76}/g) ?? []).join(eol);

  it('gives base64 bodies with CRLF and with LF line ends, quoted-printable and 8bit bodies a range that decodes to the content', async () => {
    for (const eol of ['\r\n', '\n']) {
      const text = multipart([
        `Content-Type: application/octet-stream; name="a.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64Lines(bin, eol)}${eol}`,
        'Content-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>caf=C3=A9 =\r\nsoft</p>',
        'Content-Type: application/pdf; name="b.pdf"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%PDF-1.4 \u00e9t\u00e9',
        'Content-Type: application/octet-stream; name="c.bin"\r\nContent-Transfer-Encoding: Base64\r\n\r\n' + b64(EICAR),
      ]).replace(/\r\n/g, eol);
      const raw = Buffer.from(text, 'utf8');
      const m = await splitMessage(raw);
      expect(m.parts.map((p) => p.range?.encoding)).toEqual(['base64', 'quoted-printable', '8bit', 'base64']);
      for (const part of m.parts) expect({ eol, index: part.index, same: fromRange(raw, part).equals(part.content) }).toEqual({ eol, index: part.index, same: true });
      expect(m.parts[0]!.content.equals(bin)).toBe(true);
    }
  });

  it('gives the range of a body that runs to the very end of the message (no closing delimiter, no final line end)', async () => {
    const raw = Buffer.from(`Subject: x\r\nContent-Type: application/octet-stream; name="z.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64Lines(bin, '\r\n')}`);
    const m = await splitMessage(raw);
    const r = m.parts[0]!.range!;
    expect(r.offset + r.length).toBe(raw.length);
    expect(fromRange(raw, m.parts[0]!).equals(bin)).toBe(true);
    const open = Buffer.from(`Content-Type: multipart/mixed; boundary="Q"\r\n\r\n--Q\r\nContent-Type: application/pdf; name="p.pdf"\r\n\r\n%PDF-1.4 last`);
    const last = (await splitMessage(open)).parts[0]!;
    expect(last.content.toString()).toBe('%PDF-1.4 last');
    if (last.range) expect(fromRange(open, last).equals(last.content)).toBe(true);
  });

  it('gives ranges inside nested multiparts and inside an attached message sent as it is, none inside an encoded one', async () => {
    const inner = multipart([`Content-Type: application/octet-stream; name="in.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64Lines(bin, '\r\n')}`], 'IN');
    const alternative = 'Content-Type: multipart/alternative; boundary="ALT"\r\n\r\n--ALT\r\nContent-Type: text/plain\r\n\r\nplain words\r\n--ALT\r\nContent-Type: text/html\r\n\r\n<b>html</b>\r\n--ALT--';
    const raw = Buffer.from(multipart([
      alternative,
      `Content-Type: message/rfc822\r\n\r\n${inner}`,
      `Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(inner)}`,
    ], 'OUT'));
    const m = await splitMessage(raw);
    expect(m.parts.map((p) => [p.index, p.range !== null])).toEqual([['1', true], ['2', true], ['3.1', true], ['4.1', false]]);
    for (const part of m.parts.filter((p) => p.range)) expect(fromRange(raw, part).equals(part.content)).toBe(true);
    expect(m.parts[2]!.content.equals(bin)).toBe(true);
  });

  it('gives no range to parts made of decoded bytes (uuencoded blocks of a text part) and a whole-file range to a file', async () => {
    const enc = uuencode(Buffer.from(EICAR, 'latin1'));
    const raw = Buffer.from(multipart([`Content-Type: text/plain\r\n\r\nSee below\r\n\r\nbegin 644 body.com\r\n${enc}\`\r\nend\r\n`]));
    const m = await splitMessage(raw);
    expect(m.parts.map((p) => [p.index, p.origin, p.range !== null])).toEqual([['1', 'mime', true], ['1.1', 'uuencode', false]]);
    const file = Buffer.from('%PDF-1.4 a file');
    expect(splitAsSingleFile(file).parts[0]!.range).toEqual({ offset: 0, length: file.length, encoding: null });
  });

  it('gives a range that still decodes to the content when the message is split by mailsplit (not well-formed)', async () => {
    // A multipart never closed: collectWellFormedNodes declines, mailsplit splits it.
    const raw = Buffer.from(`Content-Type: multipart/mixed; boundary="U"\r\n\r\n--U\r\nContent-Type: application/octet-stream; name="u.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64Lines(bin, '\r\n')}\r\n--U\r\nContent-Type: text/plain\r\n\r\ntail\r\n`);
    const m = await splitMessage(raw);
    expect(m.parts[0]!.content.equals(bin)).toBe(true);
    for (const part of m.parts.filter((p) => p.range)) expect(fromRange(raw, part).equals(part.content)).toBe(true);
  });
});

/** Standard uuencode lines (without the terminating backtick line). */
function uuencode(data: Buffer): string {
  const enc = (v: number): string => String.fromCharCode(v === 0 ? 96 : v + 32);
  let out = '';
  for (let i = 0; i < data.length; i += 45) {
    const chunk = data.subarray(i, i + 45);
    out += enc(chunk.length);
    for (let k = 0; k < chunk.length; k += 3) {
      const [a, b = 0, c = 0] = [chunk[k], chunk[k + 1], chunk[k + 2]];
      out += enc(a >> 2) + enc(((a & 3) << 4) | (b >> 4)) + enc(((b & 15) << 2) | (c >> 6)) + enc(c & 63);
    }
    out += '\r\n';
  }
  return out;
}
