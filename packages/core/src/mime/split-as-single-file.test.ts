import { selectBodies } from './select-parts';
import type { SelectionRule } from './select-parts';
import { splitAs, splitAsSingleFile, splitMessage } from './split-message';

const MAIL = Buffer.from('From: a@example.org\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n' +
  '--B\r\nContent-Type: text/plain\r\n\r\nhello\r\n--B\r\nContent-Type: application/pdf; name="a.pdf"\r\n\r\n%PDF-1.4 x\r\n--B--\r\n');

const RULE: SelectionRule = {
  scanMimeParts: true, scanTextMime: false, scanImageMime: false, filters: null, textPartMinWords: null,
  maxSize: null, minSize: null, dynamicScan: false, action: null, eicarFakePattern: null,
};

describe('splitAsSingleFile: one file, no MIME split', () => {
  it('gives one nameless attachment holding every byte, even when the bytes are a MIME message', async () => {
    const f = splitAsSingleFile(MAIL);
    expect(f.shape).toBe('file');
    expect(f.parts).toHaveLength(1);
    expect(f.parts[0]).toMatchObject({ index: '1', filename: null, declaredType: null, isAttachment: true, isText: false, size: MAIL.length });
    expect(f.parts[0]!.content.equals(MAIL)).toBe(true);
    expect(f.headers.messageId).toBeNull();
    // The same bytes as a message are split into their leaves.
    const m = await splitMessage(MAIL);
    expect(m.shape).toBe('message');
    expect(m.parts.length).toBe(2);
    expect((await splitAs('file', MAIL)).parts).toHaveLength(1);
    expect((await splitAs('message', MAIL)).parts).toHaveLength(2);
  });

  it('detects the type from the bytes, so type filters apply as to an attachment without a name', () => {
    const pdf = splitAsSingleFile(Buffer.from('%PDF-1.4 body'));
    expect(pdf.parts[0]).toMatchObject({ detectedExt: 'pdf' });
    const exeOnly: SelectionRule = { ...RULE, filters: { regex: [], ext: ['exe'] } };
    const pdfOnly: SelectionRule = { ...RULE, filters: { regex: [], ext: ['pdf'] } };
    expect(selectBodies(exeOnly, pdf, { rejectThreshold: 15 }, Buffer.from('%PDF-1.4 body')).bodies).toHaveLength(0);
    expect(selectBodies(pdfOnly, pdf, { rejectThreshold: 15 }, Buffer.from('%PDF-1.4 body')).bodies).toHaveLength(1);
  });

  it('every rule without filters scans the file: parts rules as part 1, whole-message rules the same bytes', () => {
    const bytes = Buffer.from('just some plain text, not mail');
    const f = splitAsSingleFile(bytes);
    const asPart = selectBodies(RULE, f, { rejectThreshold: 15 }, bytes);
    expect(asPart.bodies.map((b) => b.partIndex)).toEqual(['1']);
    const whole = selectBodies({ ...RULE, scanMimeParts: false }, f, { rejectThreshold: 15 }, bytes);
    expect(whole.bodies.map((b) => b.partIndex)).toEqual([null]);
    expect(whole.bodies[0]!.sha256).toBe(asPart.bodies[0]!.sha256);
  });

  it('text_part_min_words (a gate on the message text) does not stop a file; size gates still apply', () => {
    const bytes = Buffer.from('MZ binary-ish');
    const f = splitAsSingleFile(bytes);
    const minWords = { ...RULE, textPartMinWords: 5 };
    expect(selectBodies(minWords, f, { rejectThreshold: 15 }, bytes).bodies).toHaveLength(1);
    // The same rule stops a message with no long enough text part.
    const msg = { ...f, shape: 'message' as const };
    expect(selectBodies(minWords, msg, { rejectThreshold: 15 }, bytes)).toMatchObject({ bodies: [], skipped: 'no_parts' });
    expect(selectBodies({ ...RULE, maxSize: 3 }, f, { rejectThreshold: 15 }, bytes)).toMatchObject({ bodies: [], skipped: 'size' });
  });
});
