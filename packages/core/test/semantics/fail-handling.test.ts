import { fail, virus, type Verdict } from '@avfleet/scanners';
import { ruleToScannerOptions } from '../../src/scan/rule-to-scanner-options';
import { zip } from '../archive-writers';
import { buildMessage, EICAR, EXE, nestedZip, PDF } from './build-message';
import { byName, loadConf, runPipeline, symbolOptions } from './run-pipeline';

/** docs/semantics.md §11 (fail handling, fail_action, force_actions) and D51 (archive limits), through the pipeline. */

const conf = (opts: string) => `clam { type = "clamav"; symbol = "CLAM_VIRUS"; servers = "127.0.0.1:3310"; ${opts} }`;
const msg = buildMessage([{ filename: 'eicar.com', content: EICAR }, { filename: 'doc.pdf', type: 'application/pdf', content: PDF }]);

interface Case {
  readonly name: string;
  readonly opts: string;
  readonly forceActions?: string;
  readonly verdicts: Record<string, Verdict>;
  readonly symbols: Record<string, readonly string[]>;
  readonly action: string;
  readonly message: string | null;
}

const FA = (expr: string, extra = '') => `rules { CLAM_FAIL_TEMPFAIL { action = "soft reject"; expression = "${expr}"; message = "Virus scanner unavailable, please retry later"; ${extra} } }`;

const cases: Case[] = [
  { name: 'a fail shows symbol_fail with its text, score 0, no action', opts: '', verdicts: { 'eicar.com': fail('connection refused') }, symbols: { CLAM_VIRUS_FAIL: ['connection refused'] }, action: 'no action', message: null },
  { name: 'fail_action = soft reject with fail_message', opts: 'fail_action = "soft reject"; fail_message = "$SCANNER failed: ${VIRUS}";', verdicts: { 'eicar.com': fail('timeout') }, symbols: { CLAM_VIRUS_FAIL: ['timeout'] }, action: 'soft reject', message: 'clam failed: timeout' },
  { name: 'fail_action without fail_message uses the default message', opts: 'fail_action = "soft reject";', verdicts: { 'eicar.com': fail('timeout') }, symbols: { CLAM_VIRUS_FAIL: ['timeout'] }, action: 'soft reject', message: 'Virus scanner unavailable, please retry later' },
  { name: 'fail_action does not apply when the rule also found a virus', opts: 'fail_action = "soft reject";', verdicts: { 'eicar.com': virus(['E']), 'doc.pdf': fail('timeout') }, symbols: { CLAM_VIRUS: ['E'], CLAM_VIRUS_FAIL: ['timeout'] }, action: 'no action', message: null },
  { name: 'a patterns_fail match replaces the fail symbol; fail_action still applies', opts: 'fail_action = "soft reject"; patterns_fail { CLAM_LIMITS = "^Limits"; }', verdicts: { 'eicar.com': fail('Limits Exceeded') }, symbols: { CLAM_LIMITS: ['Limits Exceeded'] }, action: 'soft reject', message: 'Virus scanner unavailable, please retry later' },
  { name: 'force_actions.conf: expression = symbol_fail maps to fail_action', opts: '', forceActions: FA('CLAM_VIRUS_FAIL'), verdicts: { 'eicar.com': fail('timeout') }, symbols: { CLAM_VIRUS_FAIL: ['timeout'] }, action: 'soft reject', message: 'Virus scanner unavailable, please retry later' },
  { name: 'force_actions.conf: a complex expression is not mapped', opts: '', forceActions: FA('CLAM_VIRUS_FAIL & !CLAM_VIRUS'), verdicts: { 'eicar.com': fail('timeout') }, symbols: { CLAM_VIRUS_FAIL: ['timeout'] }, action: 'no action', message: null },
];

describe('semantics §11: failure handling', () => {
  it.each(cases)('$name', async (c) => {
    const out = await runPipeline({ conf: conf(c.opts), message: msg, scanner: byName(c.verdicts), forceActions: c.forceActions });
    expect(symbolOptions(out.result)).toEqual(c.symbols);
    expect(out.result.score).toBe(0);
    expect(out.result.action).toBe(c.action);
    expect(out.result.message).toBe(c.message);
  });

  it('force_actions.conf that is not supported is reported as a warning', () => {
    const cfg = loadConf(conf(''), { forceActions: FA('CLAM_VIRUS_FAIL', 'require_action = ["no action"];') });
    expect(cfg.rules[0]?.failAction).toBeNull();
    expect(cfg.warnings.filter((w) => w.code === 'AVF_WARN_FORCE_ACTIONS').map((w) => w.message)).toEqual([expect.stringMatching(/CLAM_FAIL_TEMPFAIL.*require_action is not supported/)]);
    // Nothing mapped, so the rule still has no fail_action, and says so.
    expect(cfg.warnings.filter((w) => w.code === 'AVF_WARN_RULE_NO_FAIL_ACTION').map((w) => w.message)).toEqual([expect.stringContaining('rule "clam": no fail_action')]);
  });
});

describe('semantics §2/§10: options that reach the scanner client', () => {
  it('servers, default_port, timeout and retransmits', () => {
    const cfg = loadConf(`clam { type = "clamav"; servers = "av1.example.com, av2.example.com:3311"; default_port = 3399; timeout = 7s; retransmits = 4; }`);
    const o = ruleToScannerOptions(cfg.rules[0] as NonNullable<(typeof cfg.rules)[0]>, { errorTimeSec: 10, maxErrors: 4, reviveTimeSec: 60 });
    expect(o.servers.entries).toEqual([
      expect.objectContaining({ kind: 'tcp', host: 'av1.example.com', port: 3399 }),
      expect.objectContaining({ kind: 'tcp', host: 'av2.example.com', port: 3311 }),
    ]);
    expect(o).toMatchObject({ timeoutSec: 7, retransmits: 4 });
  });
});

describe('D51: archive limits as a visible outcome', () => {
  const bomb = (content: Buffer, name = 'bomb.zip') => buildMessage([{ filename: name, content }], { text: 'see attached' });

  interface LimitCase {
    readonly name: string;
    readonly content: Buffer;
    readonly limit: string;
  }
  const limitCases: LimitCase[] = [
    { name: 'deep nesting (40 levels)', content: nestedZip(40), limit: 'depth' },
    { name: 'thousands of members (5000)', content: zip(Array.from({ length: 5000 }, (_, i) => ({ name: `f${i}.txt`, data: '' }))), limit: 'members' },
    { name: 'huge ratio (nested archive padded with 100 MB of zeros)', content: zip([{ name: 'in.zip', data: Buffer.concat([zip([{ name: 'x.exe', data: EXE }]), Buffer.alloc(100 * 1024 * 1024)]), deflate: true }]), limit: 'ratio' },
  ];

  it.each(limitCases)('$name: the listing names the limit; archive_limits_fail adds a fail verdict; fast', async (c) => {
    const started = Date.now();
    const off = await runPipeline({ conf: conf(''), message: bomb(c.content) });
    expect(off.split.parts[1]).toMatchObject({ archiveTruncated: true, archiveLimit: c.limit });
    expect(off.result.symbols).toEqual({});
    const on = await runPipeline({ conf: conf('archive_limits_fail = true; fail_action = "soft reject";'), message: bomb(c.content) });
    const text = `archive limit exceeded: ${c.limit} in bomb.zip`;
    expect(symbolOptions(on.result)).toEqual({ CLAM_VIRUS_FAIL: [text] });
    expect(on.result.parts.find((p) => p.path === '2')?.verdicts['clam']).toMatchObject({ kind: 'fail', reason: 'limits', text });
    expect(on.result).toMatchObject({ action: 'soft reject', score: 0 });
    expect(on.scanned.map((s) => s.partIndex)).toEqual(['2']); // the engine still gets the archive
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a virus found in the archive wins over the limit fail (no fail_action; the verdict shown is the virus)', async () => {
    const out = await runPipeline({
      conf: conf('archive_limits_fail = true; fail_action = "soft reject"; action = "reject";'),
      message: bomb(nestedZip(40)),
      scanner: () => virus(['Eicar-Test-Signature']),
    });
    expect(symbolOptions(out.result)).toEqual({ CLAM_VIRUS: ['Eicar-Test-Signature'], CLAM_VIRUS_FAIL: ['archive limit exceeded: depth in bomb.zip'] });
    expect(out.result.action).toBe('reject');
    expect(out.result.parts.find((p) => p.path === '2')?.verdicts['clam']).toMatchObject({ kind: 'virus' });
  });

  it('only parts the rule scans: a filter that leaves the archive out gives no limit fail', async () => {
    const out = await runPipeline({ conf: conf('archive_limits_fail = true; mime_parts_filter_ext { pdf = "pdf"; }'), message: bomb(nestedZip(40)) });
    expect(out.result.symbols).toEqual({});
  });

  it('a corrupt archive is truncated without a limit and gives no limit fail', async () => {
    const corrupt = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), Buffer.from('definitely not deflate!!')]);
    const out = await runPipeline({ conf: conf('archive_limits_fail = true;'), message: bomb(corrupt, 'x.gz') });
    expect(out.split.parts[1]?.archiveLimit).toBeNull();
    expect(out.result.symbols).toEqual({});
  });

  it('a part without a file name is named by its index; show_attachments adds nothing then', async () => {
    const out = await runPipeline({
      conf: conf('archive_limits_fail = true; show_attachments = true;'),
      message: buildMessage([{ disposition: 'attachment', content: nestedZip(40) }]),
    });
    expect(symbolOptions(out.result)).toEqual({ CLAM_VIRUS_FAIL: ['archive limit exceeded: depth in part 1'] });
  });
});
