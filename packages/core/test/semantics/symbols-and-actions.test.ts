import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clean, encrypted, fail, macro, virus, type Verdict } from '@avfleet/scanners';
import { buildMessage, EICAR, EXE, PDF } from './build-message';
import { byName, runPipeline, symbolOptions } from './run-pipeline';

/** docs/semantics.md §1 (symbol names), §7 (symbols, options, score) and §8 (actions), through the pipeline. */

const conf = (opts: string, block = 'clamav') => `${block} { servers = "127.0.0.1:3310"; ${opts} }`;
const msg = buildMessage([
  { filename: 'eicar.com', content: EICAR },
  { filename: 'tool.exe', content: EXE },
  { filename: 'doc.pdf', type: 'application/pdf', content: PDF },
]);

interface Case {
  readonly name: string;
  readonly opts: string;
  readonly block?: string;
  readonly verdicts: Record<string, Verdict>;
  readonly symbols: Record<string, readonly string[]>;
  readonly score?: number;
  readonly action?: string;
  readonly message?: string | null;
  readonly groupFile?: string;
}

const cases: Case[] = [
  // §1 names
  { name: 'default symbols: block name upper-cased', opts: '', verdicts: { 'eicar.com': virus(['Eicar-Test-Signature']) }, symbols: { CLAMAV: ['Eicar-Test-Signature'] } },
  { name: 'block clam of type clamav gives CLAM', block: 'clam', opts: 'type = "clamav";', verdicts: { 'eicar.com': virus(['E']) }, symbols: { CLAM: ['E'] } },
  { name: 'symbol sets the virus symbol and the derived ones', opts: 'symbol = "CLAM_VIRUS";', verdicts: { 'eicar.com': virus(['E']), 'tool.exe': fail('timeout') }, symbols: { CLAM_VIRUS: ['E'], CLAM_VIRUS_FAIL: ['timeout'] } },
  { name: 'symbol_fail / symbol_encrypted / symbol_macro', opts: 'symbol_fail = "F"; symbol_encrypted = "ENC"; symbol_macro = "MAC";', verdicts: { 'eicar.com': fail('x'), 'tool.exe': encrypted('File is encrypted'), 'doc.pdf': macro('File contains macros') }, symbols: { F: ['x'], ENC: ['File is encrypted'], MAC: ['File contains macros'] } },
  { name: 'name sets ${SCANNER} in the message, not the symbol', opts: 'name = "primary"; action = "reject";', verdicts: { 'eicar.com': virus(['E']) }, symbols: { CLAMAV: ['E'] }, action: 'reject', message: 'primary: virus found: "E"' },
  // §7.1 score
  { name: 'score × weight; two infected parts add the score twice with two options', opts: 'score = 4.5;', verdicts: { 'eicar.com': virus(['A']), 'tool.exe': virus(['B']) }, symbols: { CLAMAV: ['A', 'B'] }, score: 9, action: 'add header' },
  { name: 'one verdict with several names inserts once per name', opts: 'score = 1;', verdicts: { 'eicar.com': virus(['A', 'B']) }, symbols: { CLAMAV: ['A', 'B'] }, score: 2 },
  { name: 'fail symbols score 0 whatever their configured score', opts: '', groupFile: 'symbols { CLAMAV_FAIL { weight = 5; } }', verdicts: { 'eicar.com': fail('down') }, symbols: { CLAMAV_FAIL: ['down'] }, score: 0 },
  { name: 'antivirus_group.conf scores encrypted/macro symbols', opts: '', groupFile: 'symbols { CLAMAV_MACRO { weight = 4.0; } }', verdicts: { 'doc.pdf': macro('File contains macros') }, symbols: { CLAMAV_MACRO: ['File contains macros'] }, score: 4, action: 'greylist' },
  // §7.2 patterns
  { name: 'patterns: first matching map in list order wins', opts: 'patterns = [ { P = "^E"; }, { N1 = "^EI"; N2 = "^EIC"; } ];', verdicts: { 'eicar.com': virus(['EICAR_Test_File']) }, symbols: { P: ['EICAR_Test_File'] } },
  { name: 'patterns: configuration order within a map', opts: 'patterns { FIRST = "Test"; SECOND = "^Eicar"; }', verdicts: { 'eicar.com': virus(['Eicar-Test-Signature']) }, symbols: { FIRST: ['Eicar-Test-Signature'] } },
  { name: 'patterns: no match keeps the base symbol', opts: 'patterns { JS = "^Js\\\\."; }', verdicts: { 'eicar.com': virus(['Eicar-Test-Signature']) }, symbols: { CLAMAV: ['Eicar-Test-Signature'] } },
  { name: 'patterns_fail: a matched fail gets weight 1 (scores)', opts: 'patterns_fail { CLAM_LIMITS = "^Limits"; }', groupFile: 'symbols { CLAM_LIMITS { weight = 2; } }', verdicts: { 'eicar.com': fail('Limits Exceeded: size') }, symbols: { CLAM_LIMITS: ['Limits Exceeded: size'] }, score: 2 },
  { name: 'patterns also apply to encrypted texts', opts: 'patterns { ENC_ZIP = "Encrypted\\\\.Zip$"; }', verdicts: { 'eicar.com': encrypted('File is encrypted: Heuristics.Encrypted.Zip') }, symbols: { ENC_ZIP: ['File is encrypted: Heuristics.Encrypted.Zip'] } },
  // §7.4
  { name: 'show_attachments adds |file name', opts: 'show_attachments = true;', verdicts: { 'eicar.com': virus(['Eicar-Test-Signature']) }, symbols: { CLAMAV: ['Eicar-Test-Signature|eicar.com'] } },
  // §8 actions
  { name: 'action = reject is final, message template', opts: 'action = "reject"; message = "${SCANNER}/$VIRUS";', verdicts: { 'eicar.com': virus(['A', 'B']) }, symbols: { CLAMAV: ['A', 'B'] }, action: 'reject', message: 'clamav/A; B' },
  { name: 'default message: Rspamd\'s clamav template', opts: 'action = "reject";', verdicts: { 'eicar.com': virus(['E']) }, symbols: { CLAMAV: ['E'] }, action: 'reject', message: 'clamav: virus found: "E"' },
  { name: 'soft_reject spelling; "at least" action', opts: 'action = "soft_reject";', verdicts: { 'eicar.com': virus(['E']) }, symbols: { CLAMAV: ['E'] }, action: 'soft reject' },
  { name: 'encrypted triggers the action too (default action_on)', opts: 'action = "reject";', verdicts: { 'eicar.com': encrypted('File is encrypted') }, symbols: { CLAMAV_ENCRYPTED: ['File is encrypted'] }, action: 'reject' },
  { name: 'action_on = ["virus"] leaves encrypted alone', opts: 'action = "reject"; action_on = ["virus"];', verdicts: { 'eicar.com': encrypted('File is encrypted') }, symbols: { CLAMAV_ENCRYPTED: ['File is encrypted'] }, action: 'no action', message: null },
  { name: 'a pattern match does not stop the action', opts: 'action = "reject"; patterns { P = "^E"; }', verdicts: { 'eicar.com': virus(['E']) }, symbols: { P: ['E'] }, action: 'reject' },
  { name: 'fail never triggers action', opts: 'action = "reject";', verdicts: { 'eicar.com': fail('down') }, symbols: { CLAMAV_FAIL: ['down'] }, action: 'no action', message: null },
  { name: 'action = false disables it', opts: 'action = false;', verdicts: { 'eicar.com': virus(['E']) }, symbols: { CLAMAV: ['E'] }, action: 'no action' },
];

describe('semantics §1/§7/§8: symbols, options, score and action', () => {
  it.each(cases)('$name', async (c) => {
    const out = await runPipeline({ conf: conf(c.opts, c.block), message: msg, scanner: byName(c.verdicts), groupFile: c.groupFile });
    expect(symbolOptions(out.result)).toEqual(c.symbols);
    if (c.score !== undefined) expect(out.result.score).toBeCloseTo(c.score, 6);
    if (c.action !== undefined) expect(out.result.action).toBe(c.action);
    if (c.message !== undefined) expect(out.result.message).toBe(c.message);
  });

  it('description of the main symbol shows in the result', async () => {
    const out = await runPipeline({ conf: conf('score = 2; description = "ClamAV hit"; group = "av";'), message: msg, scanner: byName({ 'eicar.com': virus(['E']) }) });
    expect(out.result.symbols['CLAMAV']).toEqual({ name: 'CLAMAV', score: 2, options: ['E'], description: 'ClamAV hit' });
    expect(out.config.symbolScores['CLAMAV']).toMatchObject({ group: 'av' });
  });

  it('two rules report under their own symbols; verdicts are independent', async () => {
    const out = await runPipeline({
      conf: `${conf('score = 1;')} sophos { servers = "127.0.0.1:4010"; score = 2; }`,
      message: msg,
      scanner: (rule, body) => (rule.name === 'sophos' && body.filename === 'tool.exe' ? virus(['Troj']) : rule.name === 'clamav' && body.filename === 'eicar.com' ? virus(['E']) : clean()),
    });
    expect(symbolOptions(out.result)).toEqual({ CLAMAV: ['E'], SOPHOS: ['Troj'] });
    expect(out.result.score).toBe(3);
  });
});

describe('semantics §2/§7.3: whitelist', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'avf-sem-wl-'));
    writeFileSync(join(dir, 'wl.map'), '# names and IPs\nHeuristics.OLE2.ContainsMacros\n"File is encrypted"\n192.0.2.0/24\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const wlConf = (extra = '') => conf(`whitelist = "${join(dir, 'wl.map')}"; action = "reject"; ${extra}`);

  it('a whitelisted name (case-insensitive) gives no symbol and no action; others still do', async () => {
    const out = await runPipeline({
      conf: wlConf(), message: msg,
      scanner: byName({ 'eicar.com': virus(['heuristics.ole2.containsmacros']), 'doc.pdf': encrypted('File is encrypted') }),
    });
    expect(out.result.symbols).toEqual({});
    expect(out.result.action).toBe('no action');
    const mixed = await runPipeline({ conf: wlConf(), message: msg, scanner: byName({ 'eicar.com': virus(['Heuristics.OLE2.ContainsMacros', 'Real.Virus']) }) });
    expect(symbolOptions(mixed.result)).toEqual({ CLAMAV: ['Real.Virus'] });
    expect(mixed.result.message).toBe('clamav: virus found: "Heuristics.OLE2.ContainsMacros; Real.Virus"');
  });

  it('an IP/CIDR entry skips the rule for mail from that client (no scan, skipped: whitelist_ip)', async () => {
    const out = await runPipeline({ conf: wlConf(), message: msg, ip: '192.0.2.55' });
    expect(out.scanned).toEqual([]);
    expect(out.result.skipped).toEqual({ clamav: 'whitelist_ip' });
    const other = await runPipeline({ conf: wlConf(), message: msg, ip: '198.51.100.1' });
    expect(other.scanned).toHaveLength(3);
  });
});
