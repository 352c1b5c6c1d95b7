import { matchPattern } from './match-patterns';
import { testPatterns } from '../../test/test-rule';

describe('matchPattern', () => {
  it("follows list order (Rspamd's test suite: EICAR_Test_File gives P)", () => {
    const patterns = testPatterns([{ P: '^E' }, { N1: '^EI', N2: '^EIC' }]);
    expect(matchPattern(patterns, 'EICAR_Test_File')).toBe('P');
  });

  it('follows key order within a map (configuration order)', () => {
    expect(matchPattern(testPatterns({ B: 'Test', A: 'EICAR' }), 'EICAR_Test_File')).toBe('B');
    expect(matchPattern(testPatterns({ A: 'EICAR', B: 'Test' }), 'EICAR_Test_File')).toBe('A');
  });

  it('searches (not anchored) and is case-sensitive', () => {
    const patterns = testPatterns({ JUST_EICAR: 'Test' });
    expect(matchPattern(patterns, 'Eicar-Test-Signature')).toBe('JUST_EICAR');
    expect(matchPattern(patterns, 'eicar-test-signature')).toBeNull();
  });

  it('requires m{…} entries to cover the whole text', () => {
    const patterns = testPatterns({ WHOLE: 'm{Eicar-Test}' });
    expect(matchPattern(patterns, 'Eicar-Test')).toBe('WHOLE');
    expect(matchPattern(patterns, 'Eicar-Test-Signature')).toBeNull();
  });

  it('never matches an empty text', () => {
    expect(matchPattern(testPatterns({ ANY: '.*' }), '')).toBeNull();
  });

  it('is not affected by a global regex left with a lastIndex', () => {
    const p = { name: 'G', source: 'E', regex: /E/g, wholeText: false };
    expect(matchPattern([p], 'E')).toBe('G');
    expect(matchPattern([p], 'E')).toBe('G');
  });
});
