import { corpusMessage, loadCorpus, type CorpusEntry } from '../../../../test/helpers/corpus';
import { EICAR_TEST_STRING, selectBodies } from './select-parts';
import type { SelectionRule } from './select-parts';
import { splitMessage } from './split-message';
import { decodeTransferEncoding } from './transfer-decoding';
import type { SplitMessage } from './mime-part';

/** Walks the generated corpus, plus ../shared/corpus when it is there (test/helpers/corpus.ts). */
const corpus = loadCorpus();
const manifest: CorpusEntry[] = corpus.map((m) => m.entry);
const raw = (file: string): Buffer => corpusMessage(file, corpus).raw();

/** The reference clamav rule (test/fixtures/configs/reference-clamav.conf). */
const CLAMAV_RULE: SelectionRule = {
  scanMimeParts: true, scanTextMime: false, scanImageMime: false, filters: null, textPartMinWords: null,
  maxSize: null, minSize: null, dynamicScan: false, action: 'reject', eicarFakePattern: null,
};

/**
 * Deliberate differences from mailparser's attachment list:
 * attached messages are opened (their name is a container, not a part; D48),
 * and the parts mailparser sees inside a non-attachment message/rfc822 keep their names anyway.
 */
function ourNames(m: SplitMessage): Set<string> {
  return new Set([...m.parts.map((p) => p.filename), ...m.containers.map((c) => c.filename)].filter((n): n is string => n !== null));
}

/** Shared-corpus EICAR messages where part mode selects nothing, exactly as Rspamd 3.4 (rspamd_av empty): no file name and not an attachment, or inline with Content-ID. */
const NOT_SELECTED_LIKE_RSPAMD = new Set(['generated/eicar_text_body.eml', 'generated/eicar_inline_cid_related.eml', 'generated/eicar_noname_octet_stream.eml']);
/** D49: uuencoded blocks inside text bodies become parts of their own, so avfleet scans what Rspamd 3.4 did not. */
const SELECTED_UNLIKE_RSPAMD = new Set(['generated/eicar_uuencode_in_body.eml']);

const splitCache = new Map<string, Promise<SplitMessage>>();
const split = (file: string): Promise<SplitMessage> => {
  let p = splitCache.get(file);
  if (!p) {
    p = splitMessage(raw(file));
    splitCache.set(file, p);
  }
  return p;
};

const describeCorpus = describe;

describeCorpus('corpus', () => {
  jest.setTimeout(120_000);

  it('splits every message without throwing', async () => {
    for (const entry of manifest) {
      const m = await split(entry.file);
      expect(m.rawSize).toBe(raw(entry.file).length);
      expect(m.rawSize).toBe(entry.size);
    }
  });

  it('gives every part with a range of the raw message a range that decodes to its content', async () => {
    let ranged = 0;
    for (const entry of manifest) {
      const bytes = raw(entry.file);
      for (const part of (await split(entry.file)).parts) {
        const r = part.range;
        if (!r) continue;
        ranged++;
        const back = decodeTransferEncoding(bytes.subarray(r.offset, r.offset + r.length), r.encoding).content;
        expect({ file: entry.file, part: part.index, same: back.equals(part.content) }).toEqual({ file: entry.file, part: part.index, same: true });
      }
    }
    expect(ranged).toBeGreaterThan(0);
  });

  it("keeps every attachment name mailparser reports", async () => {
    const missing: string[] = [];
    for (const entry of manifest) {
      const names = ourNames(await split(entry.file));
      for (const name of entry.attachment_names) {
        if (name !== null && !names.has(name)) missing.push(`${entry.file}: ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('lists the archive members 7-Zip lists for zip, tar and gzip attachments', async () => {
    const diffs: string[] = [];
    let compared = 0;
    for (const entry of manifest) {
      if (!entry.archive_members) continue;
      const m = await split(entry.file);
      for (const [name, expected] of Object.entries(entry.archive_members)) {
        const part = m.parts.find((p) => p.filename === name);
        if (!part || !['zip', 'docx', 'xlsx', 'pptx', 'tar', 'gz'].includes(part.detectedExt ?? '')) continue;
        if (part.archiveEncrypted) continue; // 7-Zip was given the password; we list what is readable
        compared++;
        if (JSON.stringify([...part.archiveMembers].sort()) !== JSON.stringify([...expected].sort())) {
          diffs.push(`${entry.file} ${name}: ${JSON.stringify(part.archiveMembers)} != ${JSON.stringify(expected)}`);
        }
      }
    }
    expect(diffs).toEqual([]);
    // Every readable generated archive attachment is compared (a listing that stops finding them fails here).
    expect(compared).toBeGreaterThanOrEqual(corpus.filter((m) => m.origin === 'generated' && m.entry.archive_members !== null && !m.entry.encrypted).length);
  });

  it('selects a body carrying EICAR wherever Rspamd reported it, and agrees with Rspamd on the rest', async () => {
    const problems: string[] = [];
    const eicar = Buffer.from(EICAR_TEST_STRING, 'latin1');
    for (const entry of manifest) {
      if (!entry.eicar || entry.encrypted || !['exact', 'trailing-whitespace', 'trailing-bytes'].includes(entry.eicar_variant ?? '')) continue;
      const sel = selectBodies(CLAMAV_RULE, await split(entry.file), { rejectThreshold: 15 }, raw(entry.file));
      const carrying = sel.bodies.filter((b) => b.content.includes(eicar) || /zip|gzip|tar|7z|bzip|rar|tnef|cab/.test(b.detectedType ?? ''));
      const rspamdHit = 'CLAM_VIRUS' in entry.rspamd_av;
      const expectHit = (rspamdHit || SELECTED_UNLIKE_RSPAMD.has(entry.file)) && !NOT_SELECTED_LIKE_RSPAMD.has(entry.file);
      if (expectHit && carrying.length === 0) problems.push(`${entry.file}: nothing carrying EICAR selected`);
      if (!expectHit && sel.bodies.length > 0) problems.push(`${entry.file}: selected ${sel.bodies.map((b) => b.filename).join(',')} although Rspamd did not`);
      if ((NOT_SELECTED_LIKE_RSPAMD.has(entry.file) || SELECTED_UNLIKE_RSPAMD.has(entry.file)) && rspamdHit) problems.push(`${entry.file}: exception list out of date`);
    }
    expect(problems).toEqual([]);
  });

  it('whole-message mode finds EICAR in the text body', async () => {
    const file = 'avfleet-generated/eicar_text_body.eml';
    const sel = selectBodies({ ...CLAMAV_RULE, scanMimeParts: false }, await split(file), { rejectThreshold: 15 }, raw(file));
    expect(sel.bodies).toHaveLength(1);
    expect(sel.bodies[0].content.includes(EICAR_TEST_STRING)).toBe(true);
  });

  it('eicar_fake_pattern turns the fake-pattern part into EICAR but not the pattern inside a zip', async () => {
    const rule = { ...CLAMAV_RULE, eicarFakePattern: 'testpatterneicar' };
    const plain = selectBodies(rule, await split('avfleet-generated/eicar_fake_pattern.eml'), { rejectThreshold: 15 }, Buffer.alloc(1));
    expect(plain.bodies.filter((b) => b.fakeEicar)).toHaveLength(1);
    const zipped = selectBodies(rule, await split('avfleet-generated/eicar_fake_pattern_in_zip.eml'), { rejectThreshold: 15 }, Buffer.alloc(1));
    expect(zipped.bodies.filter((b) => b.fakeEicar)).toHaveLength(0);
  });
});
