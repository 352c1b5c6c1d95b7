import { createHash } from 'node:crypto';
import type { CompiledPattern } from '@avfleet/config';
import type { MimePart, SplitMessage } from './mime-part';
import { EICAR_TEST_STRING, isPartSelected, selectBodies } from './select-parts';
import type { SelectionRule } from './select-parts';

const RULE: SelectionRule = {
  scanMimeParts: true, scanTextMime: false, scanImageMime: false, filters: null, textPartMinWords: null,
  maxSize: null, minSize: null, dynamicScan: false, action: null, eicarFakePattern: null,
};
const rule = (over: Partial<SelectionRule> = {}): SelectionRule => ({ ...RULE, ...over });
const re = (source: string): CompiledPattern => ({ name: 'F', source, regex: new RegExp(source), wholeText: false });

function part(over: Partial<MimePart> = {}): MimePart {
  const content = over.content ?? Buffer.from('content');
  return {
    index: '1', origin: 'mime', filename: null, filenameFromContentType: false, declaredType: 'application/octet-stream', disposition: null,
    detectedExt: null, detectedType: null, isAttachment: false, isText: false, isImage: false, hasContentId: false,
    words: null, archiveMembers: [], archiveEncrypted: false, archiveTruncated: false, archiveLimit: null, range: null, ...over, content, size: content.length,
    sha256: createHash('sha256').update(content).digest('hex'),
  };
}
const attachment = (name: string, over: Partial<MimePart> = {}): MimePart => part({ filename: name, isAttachment: true, disposition: 'attachment', ...over });
const textPart = (words: number): MimePart => part({ declaredType: 'text/plain', isText: true, words, detectedExt: 'txt', detectedType: 'text/plain' });
const inlineImage = part({ declaredType: 'image/png', isImage: true, detectedExt: 'png', detectedType: 'image/png', filename: 'logo.png', hasContentId: true });
const message = (parts: MimePart[]): SplitMessage => ({
  shape: 'message', parts: parts.map((p, i) => ({ ...p, index: String(i + 1) })), textWordCounts: parts.filter((p) => p.isText).map((p) => p.words ?? 0),
  containers: [], headers: { messageId: null, subject: null, from: null }, rawSize: 100,
});
const CTX = { rejectThreshold: 15 };

describe('isPartSelected without filters', () => {
  it('scans every attachment and inline parts of a scannable detected type, not inline images or message text', () => {
    expect(isPartSelected(RULE, attachment('a.bin'))).toBe(true);
    expect(isPartSelected(RULE, attachment('a.txt', { detectedExt: 'txt' }))).toBe(true);
    expect(isPartSelected(RULE, part({ detectedExt: 'pdf', detectedType: 'application/pdf' }))).toBe(true);
    expect(isPartSelected(RULE, part({ detectedExt: 'exe' }))).toBe(true);
    expect(isPartSelected(RULE, inlineImage)).toBe(false);
    expect(isPartSelected(RULE, textPart(100))).toBe(false);
    expect(isPartSelected(RULE, part({ detectedExt: 'txt' }))).toBe(false);
    expect(isPartSelected(RULE, part())).toBe(false);
  });

  it('an image attachment is scanned only with scan_image_mime (unless it sniffs as scannable)', () => {
    const imageAttachment = attachment('photo.png', { isImage: true, detectedExt: 'png', declaredType: 'image/png' });
    expect(isPartSelected(RULE, imageAttachment)).toBe(false);
    expect(isPartSelected(rule({ scanImageMime: true }), imageAttachment)).toBe(true);
    expect(isPartSelected(rule({ scanImageMime: true }), inlineImage)).toBe(true);
  });

  it('scan_text_mime alone does nothing; with text_part_min_words it selects long enough text parts', () => {
    expect(isPartSelected(rule({ scanTextMime: true }), textPart(100))).toBe(false);
    expect(isPartSelected(rule({ scanTextMime: true, textPartMinWords: 10 }), textPart(100))).toBe(true);
    expect(isPartSelected(rule({ scanTextMime: true, textPartMinWords: 10 }), textPart(9))).toBe(false);
    expect(isPartSelected(RULE, attachment('notes.txt', { declaredType: 'text/plain', detectedExt: 'txt' }))).toBe(true);
  });
});

describe('isPartSelected with filters', () => {
  const ext = (e: string[]): SelectionRule => rule({ filters: { regex: [], ext: e } });
  const rx = (r: string[]): SelectionRule => rule({ filters: { regex: r.map(re), ext: [] } });

  it('scans only matching parts; ordinary attachments that match nothing are not scanned', () => {
    expect(isPartSelected(ext(['exe']), attachment('a.exe'))).toBe(true);
    expect(isPartSelected(ext(['exe']), attachment('a.bin'))).toBe(false);
    expect(isPartSelected(ext(['pdf']), attachment('Invoice.PDF.exe'))).toBe(true);
    expect(isPartSelected(rule({ filters: { regex: [], ext: [] } }), attachment('a.exe', { detectedExt: 'exe' }))).toBe(false);
  });

  it('matches the file name, declared type, detected extension/type and archive member names, never headers', () => {
    expect(isPartSelected(rx(['^invoice']), attachment('invoice.bin'))).toBe(true);
    expect(isPartSelected(rx(['^application/x-msdownload$']), attachment('x', { declaredType: 'application/x-msdownload' }))).toBe(true);
    expect(isPartSelected(ext(['exe']), attachment('x.bin', { detectedExt: 'exe' }))).toBe(true);
    expect(isPartSelected(rx(['zip$']), attachment('x.bin', { detectedExt: 'zip', detectedType: 'application/zip' }))).toBe(true);
    expect(isPartSelected(ext(['scr']), attachment('a.zip', { archiveMembers: ['docs/readme.txt', 'a.zip > run.scr'] }))).toBe(true);
    expect(isPartSelected(rx(['run\\.scr']), attachment('a.zip', { archiveMembers: ['a.zip > run.scr'] }))).toBe(true);
    expect(isPartSelected(ext(['scr']), attachment('a.zip', { archiveMembers: ['readme.txt'] }))).toBe(false);
    expect(isPartSelected(rx(['Content-Disposition']), attachment('a.bin'))).toBe(false);
  });

  it('only the first 1000 archive members are looked at', () => {
    const members = [...Array.from({ length: 1000 }, (_, i) => `f${i}.txt`), 'late.exe'];
    expect(isPartSelected(ext(['exe']), attachment('a.zip', { archiveMembers: members }))).toBe(false);
  });

  it('text and image switches still select with filters defined', () => {
    expect(isPartSelected(rule({ filters: { regex: [], ext: ['exe'] }, scanImageMime: true }), inlineImage)).toBe(true);
  });
});

describe('selectBodies', () => {
  const eicarLike = attachment('eicar.com', { content: Buffer.from(EICAR_TEST_STRING) });

  it('whole-message mode scans the raw message once, ignoring filters and part switches', () => {
    const raw = Buffer.from('Subject: x\r\n\r\nbody');
    const sel = selectBodies(rule({ scanMimeParts: false, filters: { regex: [], ext: ['none'] }, eicarFakePattern: 'body' }), message([textPart(1)]), CTX, raw);
    expect(sel.bodies).toEqual([expect.objectContaining({ partIndex: null, content: raw, size: raw.length, sha256: createHash('sha256').update(raw).digest('hex') })]);
  });

  it('skips empty parts silently and says no_parts when nothing is selected', () => {
    const sel = selectBodies(RULE, message([attachment('empty.bin', { content: Buffer.alloc(0) }), textPart(5)]), CTX, Buffer.from('x'));
    expect(sel).toEqual({ bodies: [], gated: [], skipped: 'no_parts' });
  });

  it('eicar_fake_pattern: sends EICAR, keeps the sha256 of the original, only on an exact match', () => {
    const fake = attachment('fake.txt', { content: Buffer.from('testpatterneicar') });
    const near = attachment('near.txt', { content: Buffer.from('testpatterneicar\n') });
    const sel = selectBodies(rule({ eicarFakePattern: 'testpatterneicar' }), message([fake, near]), CTX, Buffer.from('x'));
    expect(sel.bodies[0]).toMatchObject({ partIndex: '1', fakeEicar: true, size: 68, sha256: createHash('sha256').update('testpatterneicar').digest('hex') });
    expect(sel.bodies[0].content.toString('latin1')).toBe(EICAR_TEST_STRING);
    expect(sel.bodies[1]).toMatchObject({ fakeEicar: false, size: 17 });
  });

  it('max_size/min_size gate each body (after the EICAR substitution)', () => {
    const small = attachment('s.bin', { content: Buffer.alloc(10, 1) });
    const big = attachment('b.bin', { content: Buffer.alloc(1000, 1) });
    const sel = selectBodies(rule({ maxSize: 500, minSize: 20 }), message([small, big, eicarLike]), CTX, Buffer.from('x'));
    expect(sel.bodies.map((b) => b.partIndex)).toEqual(['3']);
    expect(sel.gated.map((g) => [g.body.partIndex, g.gate])).toEqual([['1', 'min_size'], ['2', 'max_size']]);
    const fakeBig = attachment('f.txt', { content: Buffer.from('p'.repeat(100)) });
    expect(selectBodies(rule({ maxSize: 68, eicarFakePattern: 'p'.repeat(100) }), message([fakeBig]), CTX, Buffer.from('x')).bodies).toHaveLength(1);
    expect(selectBodies(rule({ maxSize: 5 }), message([eicarLike]), CTX, Buffer.from('x')).skipped).toBe('size');
  });

  it('text_part_min_words is message-level: short text stops attachments too', () => {
    const short = selectBodies(rule({ textPartMinWords: 10 }), message([textPart(3), eicarLike]), CTX, Buffer.from('x'));
    expect(short).toMatchObject({ bodies: [], gated: [{ gate: 'text_part_min_words' }], skipped: 'no_parts' });
    const long = selectBodies(rule({ textPartMinWords: 10 }), message([textPart(3), textPart(12), eicarLike]), CTX, Buffer.from('x'));
    expect(long.bodies.map((b) => b.filename)).toEqual(['eicar.com']);
    expect(selectBodies(rule({ textPartMinWords: 10, scanMimeParts: false }), message([textPart(3)]), CTX, Buffer.from('x')).skipped).toBe('no_parts');
    expect(selectBodies(rule({ textPartMinWords: 0 }), message([eicarLike]), CTX, Buffer.from('x')).bodies).toHaveLength(1);
  });

  it('dynamic_scan skips above twice the reject threshold or after a forced reject, never with action reject', () => {
    const msg = message([eicarLike]);
    const dyn = rule({ dynamicScan: true });
    expect(selectBodies(dyn, msg, { rejectThreshold: 15, score: 30 }, Buffer.from('x')).bodies).toHaveLength(1);
    expect(selectBodies(dyn, msg, { rejectThreshold: 15, score: 30.5 }, Buffer.from('x'))).toMatchObject({ bodies: [], skipped: 'dynamic_scan' });
    expect(selectBodies(dyn, msg, { rejectThreshold: 15, forcedRejectAlready: true }, Buffer.from('x')).skipped).toBe('dynamic_scan');
    expect(selectBodies(rule({ dynamicScan: true, action: 'reject' }), msg, { rejectThreshold: 15, score: 100 }, Buffer.from('x')).bodies).toHaveLength(1);
    expect(selectBodies(RULE, msg, { rejectThreshold: 15, score: 100 }, Buffer.from('x')).bodies).toHaveLength(1);
  });
});
