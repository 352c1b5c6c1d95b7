import { verdictToSymbols } from './verdicts-to-symbols';
import { testPatterns, testRule, testWhitelist } from '../../test/test-rule';

const clam = testRule({ name: 'clamav', symbol: 'CLAM_VIRUS', action: 'reject' });

describe('verdictToSymbols', () => {
  it('inserts the base symbol once per name with the verdict weight and forces the action', () => {
    const r = verdictToSymbols(clam, { kind: 'virus', names: ['A', 'B'], weight: 0.5 }, null, undefined);
    expect(r.insertions).toEqual([
      { symbol: 'CLAM_VIRUS', weight: 0.5, option: 'A' },
      { symbol: 'CLAM_VIRUS', weight: 0.5, option: 'B' },
    ]);
    expect(r.hit).toBe(true);
    expect(r.preResult).toEqual({ action: 'reject', message: 'clamav: virus found: "A; B"', module: 'clamav', least: false });
  });

  it('gives a pattern symbol weight 1', () => {
    const rule = testRule({ symbol: 'CLAM_VIRUS', patterns: testPatterns([{ P: '^E' }, { N1: '^EI' }]) });
    const r = verdictToSymbols(rule, { kind: 'virus', names: ['EICAR_Test_File', 'Other'], weight: 3 }, null, undefined);
    expect(r.insertions).toEqual([
      { symbol: 'P', weight: 1, option: 'EICAR_Test_File' },
      { symbol: 'CLAM_VIRUS', weight: 3, option: 'Other' },
    ]);
  });

  it('matches patterns against the encrypted/macro message', () => {
    const rule = testRule({ symbol: 'CLAM_VIRUS', patterns: testPatterns({ CLAM_ZIPCRYPT: 'Encrypted\\.Zip' }) });
    const enc = verdictToSymbols(rule, { kind: 'encrypted', text: 'File is encrypted: Heuristics.Encrypted.Zip' }, null, undefined);
    expect(enc.insertions).toEqual([{ symbol: 'CLAM_ZIPCRYPT', weight: 1, option: 'File is encrypted: Heuristics.Encrypted.Zip' }]);
    const mac = verdictToSymbols(rule, { kind: 'macro', text: 'File contains macros' }, null, undefined);
    expect(mac.insertions).toEqual([{ symbol: 'CLAM_VIRUS_MACRO', weight: 1, option: 'File contains macros' }]);
  });

  it('skips whitelisted texts (case-insensitive) but lists them all in ${VIRUS}', () => {
    const wl = testWhitelist(['heuristics.ole2.containsmacros']);
    const r = verdictToSymbols(clam, { kind: 'virus', names: ['Heuristics.OLE2.ContainsMacros', 'Real'] }, null, wl);
    expect(r.insertions.map((i) => i.option)).toEqual(['Real']);
    expect(r.preResult?.message).toBe('clamav: virus found: "Heuristics.OLE2.ContainsMacros; Real"');
  });

  it('sets no action when every text is whitelisted', () => {
    const r = verdictToSymbols(clam, { kind: 'virus', names: ['Eicar'] }, null, testWhitelist(['EICAR']));
    expect(r).toMatchObject({ insertions: [], preResult: null, hit: false });
  });

  it('applies the whitelist to fail texts too', () => {
    const r = verdictToSymbols(clam, { kind: 'fail', text: 'timeout', reason: 'timeout' }, null, testWhitelist(['TIMEOUT']));
    expect(r.insertions).toEqual([]);
    expect(r.failTexts).toEqual([]);
  });

  it('puts fails on symbol_fail with weight 0, or a patterns_fail symbol with weight 1, never an action', () => {
    const plain = verdictToSymbols(clam, { kind: 'fail', text: 'connection refused', reason: 'error' }, null, undefined);
    expect(plain).toEqual({
      insertions: [{ symbol: 'CLAM_VIRUS_FAIL', weight: 0, option: 'connection refused' }],
      preResult: null,
      hit: false,
      failTexts: ['connection refused'],
    });
    const rule = testRule({ symbol: 'CLAM_VIRUS', action: 'reject', patternsFail: testPatterns({ CLAM_LIMITS: '^Limits' }) });
    const r = verdictToSymbols(rule, { kind: 'fail', text: 'Limits Exceeded: x', reason: 'limits' }, null, undefined);
    expect(r.insertions).toEqual([{ symbol: 'CLAM_LIMITS', weight: 1, option: 'Limits Exceeded: x' }]);
    expect(r.preResult).toBeNull();
  });

  it('inserts "direct" fails with their weight, bypassing patterns and whitelist', () => {
    const rule = testRule({ symbol: 'VT', patternsFail: testPatterns({ NEVER: '.' }) });
    const r = verdictToSymbols(rule, { kind: 'fail', text: 'HTTP error: x', reason: 'error', weight: 1 }, 'f.zip', testWhitelist(['HTTP error: x']));
    expect(r.insertions).toEqual([{ symbol: 'VT_FAIL', weight: 1, option: 'HTTP error: x' }]);
  });

  it('inserts category verdicts as they are (no patterns, whitelist, file name or action)', () => {
    const rule = testRule({ action: 'reject', showAttachments: true, patterns: testPatterns({ P: '.' }) });
    const r = verdictToSymbols(rule, { kind: 'category', symbol: 'VIRUSTOTAL_HIGH', option: 'h:61/68' }, 'a.exe', testWhitelist(['h:61/68']));
    expect(r).toEqual({ insertions: [{ symbol: 'VIRUSTOTAL_HIGH', weight: 1, option: 'h:61/68' }], preResult: null, hit: false, failTexts: [] });
  });

  it('adds |<file name> with show_attachments, except in whole-message mode and for SAVAPI', () => {
    const v = { kind: 'virus', names: ['Eicar-Test-Signature'] } as const;
    expect(verdictToSymbols(testRule({ showAttachments: true }), v, 'invoice.zip', undefined).insertions[0]?.option).toBe(
      'Eicar-Test-Signature|invoice.zip',
    );
    expect(verdictToSymbols(testRule({ showAttachments: false }), v, 'invoice.zip', undefined).insertions[0]?.option).toBe('Eicar-Test-Signature');
    expect(verdictToSymbols(testRule({ showAttachments: true }), v, null, undefined).insertions[0]?.option).toBe('Eicar-Test-Signature');
    expect(verdictToSymbols(testRule({ showAttachments: true, scanMimeParts: false }), v, 'x', undefined).insertions[0]?.option).toBe(
      'Eicar-Test-Signature',
    );
    expect(verdictToSymbols(testRule({ showAttachments: true, type: 'savapi', specific: { type: 'savapi', tmpdir: '/tmp', productId: '0' } }), v, 'x', undefined).insertions[0]?.option).toBe(
      'Eicar-Test-Signature',
    );
  });

  it('honours action_on and makes non-reject actions "at least"', () => {
    const rule = testRule({ action: 'add header', actionOn: ['virus'] });
    expect(verdictToSymbols(rule, { kind: 'encrypted', text: 'enc' }, null, undefined).preResult).toBeNull();
    expect(verdictToSymbols(rule, { kind: 'virus', names: ['V'] }, null, undefined).preResult).toMatchObject({ action: 'add header', least: true });
  });

  it('uses "Rejected" when the message template is empty', () => {
    const rule = testRule({ action: 'reject', message: '' });
    expect(verdictToSymbols(rule, { kind: 'virus', names: ['V'] }, null, undefined).preResult?.message).toBe('Rejected');
  });

  it('does nothing for clean', () => {
    expect(verdictToSymbols(clam, { kind: 'clean' }, 'x', undefined)).toEqual({ insertions: [], preResult: null, hit: false, failTexts: [] });
  });
});
