import { ConfigError } from '../errors';
import { compilePattern, firstMatch, patternMatches } from './compile-pattern';

const ctx = { rule: 'clamav', key: 'patterns', position: { file: 'a.conf', line: 3, column: 5 } };
const c = (src: string, warn?: (m: string) => void) => compilePattern('SYM', src, { ...ctx, warn });

function errorOf(src: string): ConfigError {
  try {
    c(src);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error(`no error for ${src}`);
}

describe('compilePattern (docs/semantics.md §7.2)', () => {
  it('compiles a plain regex, searched and case-sensitive', () => {
    const p = c('^Eicar');
    expect(patternMatches(p, 'Eicar-Test-Signature')).toBe(true);
    expect(patternMatches(p, 'eicar')).toBe(false);
    expect(patternMatches(c('UNOFFICIAL$'), 'Foo.UNOFFICIAL')).toBe(true);
    expect(p.wholeText).toBe(false);
  });

  it('reads /body/flags', () => {
    const p = c('/^eicar/i');
    expect(p.regex.flags).toBe('i');
    expect(patternMatches(p, 'EICAR')).toBe(true);
    expect(c('/a.b/s').regex.flags).toBe('s');
    expect(c('/^b/m').regex.flags).toBe('m');
    expect(c('/a/urOL').regex.flags).toBe('');
  });

  it('applies x (extended) by dropping whitespace and comments', () => {
    const p = c('/ ^Eic ar # comment\n -Test /x');
    expect(patternMatches(p, 'Eicar-Test')).toBe(true);
  });

  it('warns on an unknown flag and stops reading flags', () => {
    const warnings: string[] = [];
    const p = c('/abc/qi', (m) => warnings.push(m));
    expect(p.regex.flags).toBe('');
    expect(warnings[0]).toMatch(/unknown regex flag 'q'/);
  });

  it('gives the m{…} form whole-text semantics', () => {
    const p = c('m{Eicar-.*}');
    expect(p.wholeText).toBe(true);
    expect(patternMatches(p, 'Eicar-Test')).toBe(true);
    expect(patternMatches(c('m{Eicar}'), 'Eicar-Test')).toBe(false);
    expect(patternMatches(c('m!^x!i'), 'X')).toBe(true);
  });

  it('never matches an empty text', () => {
    expect(patternMatches(c('.*'), '')).toBe(false);
  });

  it('translates PCRE-only syntax', () => {
    expect(patternMatches(c('^[[:alpha:]]+[[:digit:]]$'), 'abc1')).toBe(true);
    expect(patternMatches(c('(?P<n>ab)(?P=n)'), 'abab')).toBe(true);
    expect(patternMatches(c('\\Qa.b\\E'), 'axb')).toBe(false);
    expect(patternMatches(c('\\Qa.b\\E'), 'a.b')).toBe(true);
    expect(patternMatches(c('a(?#comment)b'), 'ab')).toBe(true);
    expect(patternMatches(c('\\x{41}'), 'A')).toBe(true);
    expect(patternMatches(c('a\\hb'), 'a\tb')).toBe(true);
    expect(patternMatches(c('[]a]'), ']')).toBe(true);
    expect(patternMatches(c('a{2}'), 'aa')).toBe(true);
    expect(patternMatches(c('a+?b'), 'aab')).toBe(true);
  });

  it.each([
    ['a++', /possessive/],
    ['a*+b', /possessive/],
    ['a{2}+', /possessive/],
    ['(?>ab)', /atomic group/],
    ['\\Aabc', /\\A/],
    ['abc\\Z', /\\Z/],
    ['(?i)abc', /inline option/],
    ['(?i:abc)', /inline option/],
    ['(?R)', /recursion/],
    ['\\p{L}', /Unicode property/],
    ['(*UTF8)a', /verb/],
    ['[a', /missing terminating \]/],
    ['(ab', /invalid regex/],
    ['abc\\', /trailing backslash/],
  ])('rejects %s with a ConfigError naming rule, key and position', (src, re) => {
    const e = errorOf(src);
    expect(e.message).toMatch(re);
    expect(e.message).toContain('rule "clamav": patterns.SYM');
    expect(e.code).toBe('AVF_ERR_CONFIG_VALUE');
    expect(e.position).toEqual(ctx.position);
  });

  it('names the offset in the source', () => {
    expect(errorOf('/ab++/').message).toMatch(/offset 4/);
  });

  it('rejects an m-form without closing delimiter', () => {
    expect(errorOf('m{abc').message).toMatch(/closing delimiter/);
  });

  it('firstMatch keeps configuration order', () => {
    const ps = [compilePattern('P', '^E', ctx), compilePattern('N1', '^EI', ctx)];
    expect(firstMatch(ps, 'EICAR_Test_File')?.name).toBe('P');
    expect(firstMatch(ps, 'X')).toBeNull();
  });
});
