import { randomBytes } from 'node:crypto';
import { loadCorpus } from '../../../../test/helpers/corpus';
import { DEFAULT_ARCHIVE_LIMITS } from './archive-listing';
import { DECODED_FACTS_MEMO, DecodedFactsMemo, encodedBodyKey, type DecodedFacts } from './decoded-facts-memo';
import type { MimePart } from './mime-part';
import { splitMessage } from './split-message';
import * as transferDecoding from './transfer-decoding';

const facts = (over: Partial<DecodedFacts> = {}): DecodedFacts => ({
  size: 3, sha256: 'a'.repeat(64), detectedExt: null, detectedType: null, archiveMembers: [], archiveEncrypted: false, archiveTruncated: false, archiveLimit: null, ...over,
});

/** Every field of a part, content and digest included (getters read). */
const view = (p: MimePart): Record<string, unknown> => ({ ...p, content: p.content.toString('base64'), sha256: p.sha256 });

function withAttachment(name: string, data: Buffer, type = 'application/octet-stream'): Buffer {
  const b64 = data.toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    [
      'From: a@example.org', 'Subject: memo', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '',
      '--b', 'Content-Type: text/plain', '', 'hello there', '',
      '--b', `Content-Type: ${type}; name="${name}"`, `Content-Disposition: attachment; filename="${name}"`, 'Content-Transfer-Encoding: base64', '', b64, '',
      '--b--', '',
    ].join('\r\n'),
  );
}

describe('DecodedFactsMemo', () => {
  it('keeps at most maxEntries, dropping the least recently used', () => {
    const memo = new DecodedFactsMemo(2);
    memo.set('a', facts({ size: 1 }));
    memo.set('b', facts({ size: 2 }));
    expect(memo.get('a')?.size).toBe(1); // a is now the most recent
    memo.set('c', facts({ size: 3 }));
    expect(memo.get('b')).toBeUndefined();
    expect(memo.get('a')?.size).toBe(1);
    expect(memo.get('c')?.size).toBe(3);
    expect(memo.stats()).toEqual({ entries: 2, hits: 3, misses: 1 });
  });

  it('does not keep facts with very long archive listings, nor anything with a bound of 0', () => {
    const memo = new DecodedFactsMemo(10);
    memo.set('long', facts({ archiveMembers: Array.from({ length: 100 }, (_, i) => `member-${i}-${'x'.repeat(60)}`) }));
    expect(memo.get('long')).toBeUndefined();
    const none = new DecodedFactsMemo(0);
    none.set('a', facts());
    expect(none.get('a')).toBeUndefined();
    expect(() => new DecodedFactsMemo(-1)).toThrow(RangeError);
  });

  it('keys by the encoded bytes however they are chunked, the file name and the archive limits', () => {
    const body = Buffer.from('QUJD\r\nREVG');
    const k = encodedBodyKey([body], 'a.zip', DEFAULT_ARCHIVE_LIMITS);
    expect(encodedBodyKey([body.subarray(0, 3), body.subarray(3)], 'a.zip', DEFAULT_ARCHIVE_LIMITS)).toBe(k);
    expect(encodedBodyKey([body], 'b.zip', DEFAULT_ARCHIVE_LIMITS)).not.toBe(k);
    expect(encodedBodyKey([body], null, DEFAULT_ARCHIVE_LIMITS)).not.toBe(k);
    expect(encodedBodyKey([body], 'a.zip', { ...DEFAULT_ARCHIVE_LIMITS, maxMembers: 3 })).not.toBe(k);
    expect(encodedBodyKey([Buffer.from('QUJD\r\nREVH')], 'a.zip', DEFAULT_ARCHIVE_LIMITS)).not.toBe(k);
  });
});

describe('splitMessage with the decoded-facts memo', () => {
  afterEach(() => jest.restoreAllMocks());

  it('gives a repeated attachment the same part, decoding it only when its content is read', async () => {
    const raw = withAttachment('report.bin', randomBytes(50_000));
    const first = await splitMessage(raw);
    const decode = jest.spyOn(transferDecoding, 'decodeBase64');
    const again = await splitMessage(raw);
    const attachment = again.parts.find((p) => p.filename === 'report.bin')!;
    expect(attachment.sha256).toBe(first.parts.find((p) => p.filename === 'report.bin')!.sha256);
    expect(decode).not.toHaveBeenCalled();
    expect(again.parts.map(view)).toEqual(first.parts.map(view));
    expect(decode).toHaveBeenCalledTimes(1);
  });

  it('takes the facts of a zip from the memo: type and member names', async () => {
    const zip = loadCorpus().find((m) => m.entry.archive_members !== null)!.raw();
    const first = await splitMessage(zip);
    const again = await splitMessage(zip);
    expect(again.parts.map(view)).toEqual(first.parts.map(view));
    expect(again.parts.some((p) => p.archiveMembers.length > 0)).toBe(true);
  });

  it('gives every corpus message the same parts from a cold and from a warm memo', async () => {
    const corpus = loadCorpus();
    for (const message of corpus) {
      const file = message.entry.file;
      const raw = message.raw();
      DECODED_FACTS_MEMO.clear();
      let cold;
      try {
        cold = (await splitMessage(raw)).parts.map(view);
      } catch (err) {
        await expect(splitMessage(raw)).rejects.toThrow((err as Error).message);
        continue;
      }
      const warm = (await splitMessage(raw)).parts.map(view);
      if (JSON.stringify(warm) !== JSON.stringify(cold)) throw new Error(`${file}: parts differ between a cold and a warm memo`);
    }
    // The warm split of every message with an attachment takes at least one body from the memo.
    expect(DECODED_FACTS_MEMO.stats().hits).toBeGreaterThanOrEqual(corpus.filter((m) => m.entry.parts > 0).length);
  });
});
