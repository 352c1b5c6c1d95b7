import { aggregateScan, comparePartIndex, orderVerdicts } from './aggregate-scan';
import type { AggregateInput, RuleVerdictInput, Whitelist } from './aggregate-types';
import type { Rule } from '@avfleet/config';
import type { Verdict } from '@avfleet/scanners';
import { testPatterns, testRule, testWhitelist } from '../../test/test-rule';

const THRESHOLDS = { reject: 15, 'add header': 6, greylist: 4 };
/** The corpus configuration: clamav rule, symbol CLAM_VIRUS, action reject, the default clamav message. */
const corpusClam = testRule({ name: 'clamav', symbol: 'CLAM_VIRUS', action: 'reject', message: '${SCANNER}: virus found: "${VIRUS}"' });

function input(rule: Rule, partIndex: string | null, verdict: Verdict, filename: string | null = null): RuleVerdictInput {
  return { rule, partIndex, filename, verdict, cached: false };
}

function run(over: Partial<AggregateInput> & { verdicts: readonly RuleVerdictInput[] }, whitelists: Record<string, Whitelist> = {}) {
  return aggregateScan({
    rules: [corpusClam],
    thresholds: THRESHOLDS,
    symbolScores: {},
    whitelists: new Map(Object.entries(whitelists)),
    ...over,
  });
}

describe('aggregateScan', () => {
  it('corpus configuration: EICAR → CLAM_VIRUS, reject, the rendered message', () => {
    const r = run({ verdicts: [input(corpusClam, '1', { kind: 'virus', names: ['Eicar-Test-Signature.UNOFFICIAL'] })] });
    expect(r).toEqual({
      action: 'reject',
      score: 0,
      requiredScore: 15,
      symbols: {
        CLAM_VIRUS: { name: 'CLAM_VIRUS', score: 0, options: ['Eicar-Test-Signature.UNOFFICIAL'], weight: 1, insertions: 1, description: 'antivirus symbol' },
      },
      message: 'clamav: virus found: "Eicar-Test-Signature.UNOFFICIAL"',
      forcedBy: 'clamav',
    });
  });

  it('nothing found: no action, no message, no symbols', () => {
    const r = run({ verdicts: [input(corpusClam, '1', { kind: 'clean' })] });
    expect(r).toMatchObject({ action: 'no action', score: 0, symbols: {}, message: null, forcedBy: null });
  });

  it("Rspamd's test-suite pattern case: EICAR_Test_File gives P", () => {
    const rule = testRule({ symbol: 'CLAM_VIRUS', patterns: testPatterns([{ P: '^E' }, { N1: '^EI', N2: '^EIC' }]) });
    const r = run({ rules: [rule], verdicts: [input(rule, '1', { kind: 'virus', names: ['EICAR_Test_File'] })] });
    expect(Object.keys(r.symbols)).toEqual(['P']);
    expect(r.symbols.P).toMatchObject({ options: ['EICAR_Test_File'], weight: 1 });
  });

  it('two infected attachments: CLAM_VIRUS with two options and twice the score', () => {
    const rule = testRule({ symbol: 'CLAM_VIRUS', score: 4 });
    const r = run({
      rules: [rule],
      verdicts: [input(rule, '2', { kind: 'virus', names: ['Win.Test.B'] }), input(rule, '1', { kind: 'virus', names: ['Eicar-Test-Signature'] })],
    });
    expect(r.symbols.CLAM_VIRUS).toEqual({
      name: 'CLAM_VIRUS',
      score: 8,
      options: ['Eicar-Test-Signature', 'Win.Test.B'],
      weight: 2,
      insertions: 2,
      description: 'antivirus symbol',
    });
    expect(r.score).toBe(8);
    expect(r.action).toBe('add header');
  });

  it('same threat in two parts: one option, counted twice', () => {
    const rule = testRule({ symbol: 'CLAM_VIRUS', score: 1 });
    const v = { kind: 'virus', names: ['Eicar'] } as const;
    const r = run({ rules: [rule], verdicts: [input(rule, '1', v), input(rule, '2', v)] });
    expect(r.symbols.CLAM_VIRUS).toMatchObject({ options: ['Eicar'], insertions: 2, score: 2 });
  });

  it('one-shot symbols count once; maxShots caps the others', () => {
    const rule = testRule({ symbol: 'CLAM_VIRUS' });
    const verdicts = ['1', '2', '3'].map((p) => input(rule, p, { kind: 'virus', names: [`V${p}`] }));
    expect(run({ rules: [rule], verdicts, symbolScores: { CLAM_VIRUS: { score: 5, oneShot: true } } }).symbols.CLAM_VIRUS).toMatchObject({
      score: 5,
      insertions: 3,
      options: ['V1', 'V2', 'V3'],
    });
    expect(run({ rules: [rule], verdicts, symbolScores: { CLAM_VIRUS: { score: 5 } }, maxShots: 2 }).symbols.CLAM_VIRUS?.score).toBe(10);
  });

  it('whitelisted names produce no symbol and no action', () => {
    const r = run(
      { verdicts: [input(corpusClam, '1', { kind: 'virus', names: ['Heuristics.OLE2.ContainsMacros'] })] },
      { clamav: testWhitelist(['heuristics.ole2.containsmacros']) },
    );
    expect(r).toMatchObject({ action: 'no action', symbols: {}, message: null, forcedBy: null });
  });

  it('a whitelist of one rule does not apply to another', () => {
    const other = testRule({ name: 'sophos', type: 'sophos', specific: { type: 'sophos' }, symbol: 'SOPHOS_VIRUS' });
    const v = { kind: 'virus', names: ['Eicar'] } as const;
    const r = run({ rules: [corpusClam, other], verdicts: [input(corpusClam, '1', v), input(other, '1', v)] }, { clamav: testWhitelist(['eicar']) });
    expect(Object.keys(r.symbols)).toEqual(['SOPHOS_VIRUS']);
  });

  it('encrypted → CLAM_VIRUS_ENCRYPTED and reject', () => {
    const text = 'File is encrypted: Heuristics.Encrypted.Zip';
    const r = run({ verdicts: [input(corpusClam, '1', { kind: 'encrypted', text })] });
    expect(r.symbols).toEqual({ CLAM_VIRUS_ENCRYPTED: { name: 'CLAM_VIRUS_ENCRYPTED', score: 0, options: [text], weight: 1, insertions: 1 } });
    expect(r).toMatchObject({ action: 'reject', message: `clamav: virus found: "${text}"`, forcedBy: 'clamav' });
  });

  it('encrypted with action_on = [virus]: symbol, no action', () => {
    const rule = testRule({ symbol: 'CLAM_VIRUS', action: 'reject', actionOn: ['virus'] });
    const r = run({ rules: [rule], verdicts: [input(rule, '1', { kind: 'encrypted', text: 'File is encrypted' })] });
    expect(r).toMatchObject({ action: 'no action', message: null });
    expect(Object.keys(r.symbols)).toEqual(['CLAM_VIRUS_ENCRYPTED']);
  });

  it('fail → CLAM_VIRUS_FAIL with score 0 and no action, even with a configured score', () => {
    const r = run({
      verdicts: [input(corpusClam, '1', { kind: 'fail', text: 'connection refused', reason: 'error' })],
      symbolScores: { CLAM_VIRUS_FAIL: { score: 10 } },
    });
    expect(r.symbols.CLAM_VIRUS_FAIL).toMatchObject({ score: 0, weight: 0, options: ['connection refused'] });
    expect(r).toMatchObject({ action: 'no action', score: 0, message: null, forcedBy: null });
  });

  it('fail with fail_action soft reject → soft reject with the fail message', () => {
    const rule = testRule({ symbol: 'CLAM_VIRUS', action: 'reject', failAction: 'soft reject', failMessage: '$SCANNER unavailable: $VIRUS' });
    const r = run({ rules: [rule], verdicts: [input(rule, '1', { kind: 'fail', text: 'timeout', reason: 'timeout' })] });
    expect(r).toMatchObject({ action: 'soft reject', score: 0, message: 'clamav unavailable: timeout', forcedBy: 'clamav' });
  });

  it('fail_action has a default message', () => {
    const rule = testRule({ failAction: 'soft reject' });
    const r = run({ rules: [rule], verdicts: [input(rule, '1', { kind: 'fail', text: 'timeout', reason: 'timeout' })] });
    expect(r.message).toBe('Virus scanner unavailable, please retry later');
  });

  it('fail_action does not apply when the rule also found a virus', () => {
    const rule = testRule({ symbol: 'CLAM_VIRUS', action: 'add header', failAction: 'soft reject' });
    const r = run({
      rules: [rule],
      verdicts: [input(rule, '1', { kind: 'fail', text: 'timeout', reason: 'timeout' }), input(rule, '2', { kind: 'virus', names: ['V'] })],
    });
    expect(r).toMatchObject({ action: 'add header', forcedBy: 'clamav' });
  });

  it('fail_action does not apply to a whitelisted fail text', () => {
    const rule = testRule({ failAction: 'soft reject' });
    const r = run({ rules: [rule], verdicts: [input(rule, '1', { kind: 'fail', text: 'timeout', reason: 'timeout' })] }, { clamav: testWhitelist(['timeout']) });
    expect(r.action).toBe('no action');
  });

  it('soft reject from a failed rule gives way to a virus reject of another rule', () => {
    const a = testRule({ name: 'a', failAction: 'soft reject' });
    const b = testRule({ name: 'b', action: 'reject' });
    const r = run({
      rules: [a, b],
      verdicts: [input(a, '1', { kind: 'fail', text: 'timeout', reason: 'timeout' }), input(b, '1', { kind: 'virus', names: ['V'] })],
    });
    expect(r).toMatchObject({ action: 'reject', forcedBy: 'b' });
  });

  it('add header floor raises the score to its threshold', () => {
    const rule = testRule({ symbol: 'CLAM_VIRUS', action: 'add header' });
    const r = run({ rules: [rule], verdicts: [input(rule, '1', { kind: 'virus', names: ['V'] })] });
    expect(r).toMatchObject({ action: 'add header', score: 6, message: 'clamav: virus found: "V"', forcedBy: 'clamav' });
  });

  it('adds baseScore and lets the score-based action beat a weaker floor', () => {
    const rule = testRule({ symbol: 'CLAM_VIRUS', action: 'greylist' });
    const r = run({ rules: [rule], verdicts: [input(rule, '1', { kind: 'virus', names: ['V'] })], baseScore: 20 });
    expect(r).toMatchObject({ action: 'reject', score: 20, message: null, forcedBy: null });
  });

  it('the first final pre-result in rule order wins, whatever the input order', () => {
    const a = testRule({ name: 'a', action: 'reject' });
    const b = testRule({ name: 'b', action: 'reject' });
    const va = input(a, '2', { kind: 'virus', names: ['A2'] });
    const va1 = input(a, '1', { kind: 'virus', names: ['A1'] });
    const vb = input(b, '1', { kind: 'virus', names: ['B1'] });
    const one = run({ rules: [a, b], verdicts: [vb, va, va1] });
    const two = run({ rules: [a, b], verdicts: [va1, va, vb] });
    expect(one).toEqual(two);
    expect(one).toMatchObject({ action: 'reject', message: 'a: virus found: "A1"', forcedBy: 'a' });
    expect(one.symbols.A?.options).toEqual(['A1', 'A2']);
    expect(Object.keys(one.symbols)).toEqual(['A', 'B']);
  });

  it('inserts hash-service categories as they are, scored from the rule', () => {
    const vt = testRule({
      name: 'virustotal',
      type: 'virustotal',
      servers: null,
      symbol: 'VIRUSTOTAL',
      action: 'reject',
      specific: {
        type: 'virustotal',
        apikey: 'k',
        url: 'https://example.invalid',
        minimumEngines: 3,
        lowCategory: 5,
        mediumCategory: 10,
        symbols: {
          clean: { symbol: 'VIRUSTOTAL_CLEAN', score: -0.5, description: 'clean', group: 'av', enabled: true },
          low: { symbol: 'VIRUSTOTAL_LOW', score: 2, description: 'low', group: 'av', enabled: true },
          medium: { symbol: 'VIRUSTOTAL_MEDIUM', score: 5, description: 'medium', group: 'av', enabled: true },
          high: { symbol: 'VIRUSTOTAL_HIGH', score: 8, description: 'high', group: 'av', enabled: true },
        },
      },
    });
    const r = run({ rules: [vt], verdicts: [input(vt, '1', { kind: 'category', symbol: 'VIRUSTOTAL_HIGH', option: 'h:61/68' }, 'a.exe')] });
    expect(r.symbols).toEqual({
      VIRUSTOTAL_HIGH: { name: 'VIRUSTOTAL_HIGH', score: 8, options: ['h:61/68'], weight: 1, insertions: 1, description: 'high' },
    });
    expect(r).toMatchObject({ action: 'add header', score: 8, forcedBy: null });
  });

  it('scores from symbolScores (group file) win over the rule score; descriptions fall back to the rule', () => {
    const rule = testRule({ symbol: 'CLAM_VIRUS', score: 4, description: 'ClamAV found a virus' });
    const r = run({ rules: [rule], verdicts: [input(rule, '1', { kind: 'virus', names: ['V'] })], symbolScores: { CLAM_VIRUS: { score: 7 } } });
    expect(r.symbols.CLAM_VIRUS).toMatchObject({ score: 7, description: 'ClamAV found a virus' });
  });

  it('gives pattern symbols their score from symbolScores (default 0)', () => {
    const rule = testRule({ symbol: 'CLAM_VIRUS', score: 4, patterns: testPatterns({ CLAM_PUA: '^PUA\\.' }) });
    const verdicts = [input(rule, '1', { kind: 'virus', names: ['PUA.Win.Packer.Upx-1'] })];
    expect(run({ rules: [rule], verdicts }).symbols.CLAM_PUA?.score).toBe(0);
    expect(run({ rules: [rule], verdicts, symbolScores: { CLAM_PUA: { score: 1.5 } } }).symbols.CLAM_PUA?.score).toBe(1.5);
  });

  it('truncates long option lists with "..."', () => {
    const rule = testRule({ symbol: 'CLAM_VIRUS' });
    const verdicts = Array.from({ length: 100 }, (_, i) => input(rule, String(i + 1), { kind: 'virus', names: [`${'x'.repeat(60)}${i}`] }));
    const options = run({ rules: [rule], verdicts }).symbols.CLAM_VIRUS?.options ?? [];
    expect(options[options.length - 1]).toBe('...');
    expect(options.slice(0, -1).join('').length).toBeLessThanOrEqual(4096);
    expect(options.length).toBeLessThan(100);
  });
});

describe('ordering helpers', () => {
  it('compares part paths numerically by segment, whole message first', () => {
    const sorted = ['10', '2.1', null, '2', '1', '2.10', '2.2'].sort(comparePartIndex);
    expect(sorted).toEqual([null, '1', '2', '2.1', '2.2', '2.10', '10']);
  });

  it('orders by configured rule order, then part order; unknown rules last', () => {
    const a = testRule({ name: 'a' });
    const b = testRule({ name: 'b' });
    const x = testRule({ name: 'x' });
    const v = (rule: Rule, p: string) => input(rule, p, { kind: 'clean' });
    const out = orderVerdicts([b, a], [v(x, '1'), v(a, '2'), v(b, '3'), v(a, '1')]);
    expect(out.map((i) => `${i.rule.name}${i.partIndex}`)).toEqual(['b3', 'a1', 'a2', 'x1']);
  });
});
