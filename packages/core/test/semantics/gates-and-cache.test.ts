import { encrypted, fail, virus } from '@avfleet/scanners';
import { buildMessage, EICAR, PDF, words } from './build-message';
import { MemoryRedis, runPipeline, symbolOptions } from './run-pipeline';

/** docs/semantics.md §4 (gates) and §6 (cache), through the pipeline. */

const conf = (opts: string, name = 'clamav') => `${name} { servers = "127.0.0.1:3310"; ${opts} }`;
const big = Buffer.alloc(5000, 0x41);
const message = (text = words(20)) => buildMessage([
  { filename: 'eicar.com', content: EICAR },
  { filename: 'big.bin', content: big },
], { text });

interface GateCase {
  readonly name: string;
  readonly opts: string;
  readonly text?: string;
  readonly score?: number;
  readonly scanned: readonly string[];
  readonly skipped?: string;
}

const gates: GateCase[] = [
  { name: 'no gate', opts: '', scanned: ['2', '3'] },
  { name: 'max_size: bodies longer than max_size are skipped, per part', opts: 'max_size = 1000;', scanned: ['2'] },
  { name: 'max_size: equal length passes', opts: 'max_size = 5000;', scanned: ['2', '3'] },
  { name: 'min_size: bodies shorter than min_size are skipped', opts: 'min_size = 100;', scanned: ['3'] },
  { name: 'min_size and max_size together can skip everything', opts: 'min_size = 100; max_size = 200;', scanned: [], skipped: 'size' },
  { name: 'text_part_min_words: message-level, stops attachments when no text is long enough', opts: 'text_part_min_words = 50;', scanned: [], skipped: 'no_parts' },
  { name: 'text_part_min_words: long enough text lets attachments through', opts: 'text_part_min_words = 10;', scanned: ['2', '3'] },
  { name: 'dynamic_scan: score above 2 × reject skips', opts: 'dynamic_scan = true;', score: 31, scanned: [], skipped: 'dynamic_scan' },
  { name: 'dynamic_scan: score at 2 × reject does not skip', opts: 'dynamic_scan = true;', score: 30, scanned: ['2', '3'] },
  { name: 'dynamic_scan: never skips with action = "reject"', opts: 'dynamic_scan = true; action = "reject";', score: 100, scanned: ['2', '3'] },
  { name: 'dynamic_scan off: a high score does not skip', opts: '', score: 100, scanned: ['2', '3'] },
];

describe('semantics §4: gates', () => {
  it.each(gates)('$name', async (c) => {
    const out = await runPipeline({ conf: conf(c.opts), message: message(c.text), score: c.score });
    expect(out.scanned.map((s) => s.partIndex)).toEqual(c.scanned);
    expect(out.result.skipped['clamav']).toBe(c.skipped);
  });

  it('eicar_fake_pattern: the substituted part counts as 68 bytes for the size gates', async () => {
    const pattern = 'x'.repeat(10);
    const msg = buildMessage([{ filename: 'fake.txt', content: pattern }]);
    const passes = await runPipeline({ conf: conf(`eicar_fake_pattern = "${pattern}"; min_size = 68;`), message: msg });
    expect(passes.result.symbols['CLAMAV']?.options).toEqual(['Eicar-Test-Signature']);
    const stopped = await runPipeline({ conf: conf(`eicar_fake_pattern = "${pattern}"; max_size = 67;`), message: msg });
    expect(stopped.scanned).toEqual([]);
  });

  it('cache first, then gates: a cached verdict is applied although max_size now says no', async () => {
    const redis = new MemoryRedis();
    await runPipeline({ conf: conf(''), message: message(), redis });
    const out = await runPipeline({ conf: conf('max_size = 10;'), message: message(), redis });
    expect(out.scanned).toEqual([]);
    expect(symbolOptions(out.result)).toEqual({ CLAMAV: ['Eicar-Test-Signature'] });
    expect(out.result.skipped['clamav']).toBeUndefined();
  });
});

describe('semantics §6: cache', () => {
  it('the same attachment is scanned once; the second message takes the cached verdict', async () => {
    const redis = new MemoryRedis();
    const first = await runPipeline({ conf: conf(''), message: message(), redis });
    const second = await runPipeline({ conf: conf(''), message: message('other text here'), redis });
    expect(first.scanned).toHaveLength(2);
    expect(second.scanned).toHaveLength(0);
    expect(second.result.symbols).toEqual(first.result.symbols);
    expect(second.result.parts.find((p) => p.path === '2')?.verdicts['clamav']).toMatchObject({ kind: 'virus', cached: true });
  });

  it('key = prefix verbatim + sigver + sha256; TTL = cache_expire (rounded); value TAB-separated with the file name under show_attachments', async () => {
    const redis = new MemoryRedis();
    await runPipeline({ conf: conf('prefix = "fp_dupe"; cache_expire = 1.5h; show_attachments = true;'), message: message(), redis });
    const entries = [...redis.values.entries()];
    expect(entries.map(([k]) => k).every((k) => /^fp_dupe0:[0-9a-f]{64}$/.test(k))).toBe(true);
    expect(entries.map(([, v]) => v)).toEqual(expect.arrayContaining([
      { value: 'Eicar-Test-Signature\t1\teicar.com', ttl: 5400 },
      { value: 'OK\t1\tbig.bin', ttl: 5400 },
    ]));
  });

  it('default prefix rs_<name>_ and the type default cache_expire', async () => {
    const redis = new MemoryRedis();
    await runPipeline({ conf: 'clam { type = "clamav"; servers = "127.0.0.1:3310"; }', message: message(), redis });
    expect([...redis.values.keys()].every((k) => k.startsWith('rs_clam_0:'))).toBe(true);
    expect([...redis.values.values()].every((v) => v.ttl === 3600)).toBe(true);
  });

  it('no_cache = true: no reads and no writes (D37)', async () => {
    const redis = new MemoryRedis();
    await runPipeline({ conf: conf(''), message: message(), redis });
    const size = redis.values.size;
    const out = await runPipeline({ conf: conf('no_cache = true; prefix = "other_";'), message: message(), redis });
    expect(out.scanned).toHaveLength(2);
    expect(redis.values.size).toBe(size);
    const again = await runPipeline({ conf: conf('no_cache = true;'), message: message(), redis });
    expect(again.scanned).toHaveLength(2); // rs_clamav_ keys exist but are not read
  });

  it('fail verdicts are never cached (the next message retries)', async () => {
    const redis = new MemoryRedis();
    await runPipeline({ conf: conf(''), message: message(), redis, scanner: () => fail('connection refused') });
    expect(redis.values.size).toBe(0);
  });

  it('a cached encrypted verdict comes back with the cached text; whitelist and patterns apply to cached results', async () => {
    const redis = new MemoryRedis();
    await runPipeline({ conf: conf(''), message: message(), redis, scanner: () => encrypted('File is encrypted: Heuristics.Encrypted.Zip') });
    const out = await runPipeline({ conf: conf('patterns { ENC_PAT = "^File is encrypted$"; }'), message: message(), redis });
    expect(symbolOptions(out.result)).toEqual({ ENC_PAT: ['File is encrypted'] });
  });

  it('a cached virus verdict takes the current rule\'s action and show_attachments name', async () => {
    const redis = new MemoryRedis();
    await runPipeline({ conf: conf(''), message: message(), redis, scanner: (_r, b) => (b.filename === 'eicar.com' ? virus(['Eicar-Test-Signature']) : { kind: 'clean' }) });
    const out = await runPipeline({ conf: conf('action = "reject"; show_attachments = true;'), message: message(), redis });
    expect(out.scanned).toEqual([]);
    expect(out.result).toMatchObject({ action: 'reject', message: 'clamav: virus found: "Eicar-Test-Signature"' });
    expect(symbolOptions(out.result)).toEqual({ CLAMAV: ['Eicar-Test-Signature|eicar.com'] });
  });
});

describe('semantics §6: whole-message mode caches under the message', () => {
  it('scan_mime_parts = false: one key for the raw message', async () => {
    const redis = new MemoryRedis();
    const out = await runPipeline({ conf: conf('scan_mime_parts = false;'), message: buildMessage([{ filename: 'a.pdf', content: PDF }]), redis });
    expect(out.scanned).toHaveLength(1);
    expect(redis.values.size).toBe(1);
  });
});
