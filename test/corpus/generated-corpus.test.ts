import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EICAR } from '../../benchmarks/src/corpus/make-attachment';
import { loadCorpus, sharedCorpusDir } from '../helpers/corpus';
import { buildGeneratedCorpus, GENERATED_PREFIX } from './generated-corpus';
import { loadTestSignatures } from './test-signatures';

const corpus = buildGeneratedCorpus();
const byName = (name: string) => {
  const m = corpus.find((c) => c.entry.file === `${GENERATED_PREFIX}${name}.eml`);
  if (!m) throw new Error(`no generated message ${name}`);
  return m;
};

describe('the generated corpus', () => {
  it('is the same bytes and entries on every build', () => {
    const again = buildGeneratedCorpus();
    expect(again.map((m) => m.entry)).toEqual(corpus.map((m) => m.entry));
    expect(again.every((m, i) => m.bytes.equals(corpus[i]!.bytes))).toBe(true);
  });

  it('has one entry per file, with the size of its bytes', () => {
    expect(new Set(corpus.map((m) => m.entry.file)).size).toBe(corpus.length);
    for (const m of corpus) expect(m.entry.size).toBe(m.bytes.length);
  });

  it('covers what the corpus suites need', () => {
    const categories = new Set(corpus.flatMap((m) => m.entry.categories));
    for (const c of ['eicar', 'eicar-negative', 'archive', 'nested-archive', 'zip', 'tar', 'gzip', 'rfc822', 'nested', 'malformed', 'encrypted', 'fake-pattern', 'filename-filter', 'enc-base64', 'enc-qp', 'enc-7bit', 'enc-uuencode', 'i18n-filename', 'many-attachments']) {
      expect([c, categories.has(c)]).toEqual([c, true]);
    }
    expect(corpus.filter((m) => m.entry.rspamd_action === 'reject').length).toBeGreaterThanOrEqual(15);
    expect(corpus.filter((m) => m.entry.rspamd_action === 'no action').length).toBeGreaterThanOrEqual(15);
  });

  it('carries EICAR in the raw bytes only where no transfer encoding or archive hides it', () => {
    expect(byName('eicar_attach_7bit').bytes.includes(EICAR)).toBe(true);
    expect(byName('eicar_attach_base64').bytes.includes(EICAR)).toBe(false);
    expect(byName('eicar_attach_x_uuencode').bytes.toString('latin1')).toMatch(/^begin 644 eicar\.com\r\n/m);
    expect(byName('eicar_zip').bytes.includes(EICAR)).toBe(false);
  });

  it('derives the expected outcome from what was built: scanned parts and what clamd finds in them', () => {
    expect(byName('eicar_zip_nested_3').entry).toMatchObject({ rspamd_av: { CLAM_VIRUS: ['Eicar-Test-Signature.UNOFFICIAL'] }, rspamd_action: 'reject', archive_members: { 'level1.zip': ['level2.zip', 'level2.zip > level3.zip', 'level2.zip > level3.zip > inner/eicar.com'] } });
    // Same EICAR bytes, but parts Rspamd's part mode leaves out: nothing to report.
    for (const name of ['eicar_inline_cid_related', 'eicar_noname_octet_stream', 'eicar_text_body']) {
      expect([name, byName(name).entry.eicar, byName(name).entry.rspamd_action]).toEqual([name, true, 'no action']);
    }
    expect(byName('encrypted_zip_clean').entry).toMatchObject({ encrypted: true, rspamd_av: { CLAM_VIRUS_ENCRYPTED: ['File is encrypted: Heuristics.Encrypted.Zip'] } });
    expect(byName('eicar_split_two_parts').entry).toMatchObject({ eicar: false, eicar_variant: 'split', rspamd_action: 'no action' });
    expect(byName('eicar_fake_pattern').entry).toMatchObject({ eicar_fake: true, rspamd_action: 'no action' });
    expect(byName('eicar_forwarded_in_forwarded').clamdBodies.map((b) => b.verdict)).toEqual(['Eicar-Test-Signature.UNOFFICIAL', 'Eicar-Test-Signature.UNOFFICIAL', 'Eicar-Test-Signature.UNOFFICIAL']);
  });

  it('follows the signature database: without the EICAR signatures no message expects an EICAR hit', () => {
    const withoutEicar = buildGeneratedCorpus(loadTestSignatures().filter((s) => !s.name.startsWith('Eicar')));
    expect(withoutEicar.flatMap((m) => m.entry.rspamd_av.CLAM_VIRUS ?? [])).toEqual(['ClamAV-Test-File.UNOFFICIAL']);
    // Only the trailing-bytes case needs the body signature; the hash signature alone still finds the exact file.
    const hashOnly = buildGeneratedCorpus(loadTestSignatures().filter((s) => s.body === undefined));
    expect(byName('eicar_trailing_bytes').entry.rspamd_action).toBe('reject');
    expect(hashOnly.find((m) => m.entry.file.endsWith('/eicar_trailing_bytes.eml'))!.entry.rspamd_action).toBe('no action');
    expect(hashOnly.find((m) => m.entry.file.endsWith('/eicar_attach_base64.eml'))!.entry.rspamd_action).toBe('reject');
  });
});

describe('loadTestSignatures', () => {
  const dir = mkdtempSync(join(tmpdir(), 'avft-sigs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the test database: a hash and a body signature for each of its two names', () => {
    const sigs = loadTestSignatures();
    expect(sigs.map((s) => s.name).sort()).toEqual(['ClamAV-Test-File', 'ClamAV-Test-File', 'Eicar-Test-Signature', 'Eicar-Test-Signature']);
    const eicar = sigs.filter((s) => s.name === 'Eicar-Test-Signature');
    expect(eicar.map((s) => s.matches(EICAR))).toEqual([true, true]);
    expect(eicar.map((s) => s.matches(Buffer.concat([EICAR, Buffer.from('x')])))).toEqual([false, true]);
  });

  it('refuses a signature it cannot model instead of ignoring it', () => {
    writeFileSync(join(dir, 'x.ndb'), 'Other:1:EP+0:4142\n');
    expect(() => loadTestSignatures(dir)).toThrow(/^AVF_ERR_TEST_SIGNATURE_UNSUPPORTED: /);
  });
});

describe('loadCorpus', () => {
  const saved = process.env.AVFLEET_CORPUS;
  afterEach(() => {
    if (saved === undefined) delete process.env.AVFLEET_CORPUS;
    else process.env.AVFLEET_CORPUS = saved;
  });

  it('gives only the generated corpus with AVFLEET_CORPUS=none', () => {
    process.env.AVFLEET_CORPUS = 'none';
    expect(sharedCorpusDir()).toBeNull();
    const loaded = loadCorpus();
    expect(loaded.map((m) => m.entry)).toEqual(corpus.map((m) => m.entry));
    expect(loaded.every((m, i) => m.raw().equals(corpus[i]!.bytes))).toBe(true);
  });

  it('fails with AVF_ERR_TEST_CORPUS_MISSING when AVFLEET_CORPUS names a folder without a corpus', () => {
    process.env.AVFLEET_CORPUS = join(tmpdir(), 'avft-no-such-corpus');
    expect(() => loadCorpus()).toThrow(/^AVF_ERR_TEST_CORPUS_MISSING: /);
  });

  it('adds the messages of a corpus folder after the generated ones, read from there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'avft-corpus-'));
    try {
      const entry = { ...corpus[0]!.entry, file: 'real/one.eml' };
      writeFileSync(join(dir, 'manifest.jsonl'), `${JSON.stringify(entry)}\n`);
      mkdirSync(join(dir, 'real'));
      writeFileSync(join(dir, 'real', 'one.eml'), 'Subject: one\r\n\r\nbody\r\n');
      process.env.AVFLEET_CORPUS = dir;
      const loaded = loadCorpus();
      expect(loaded).toHaveLength(corpus.length + 1);
      expect(loaded.at(-1)!.origin).toBe('shared');
      expect(loaded.at(-1)!.raw().toString()).toBe('Subject: one\r\n\r\nbody\r\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
