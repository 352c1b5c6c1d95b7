import type { CompiledPattern } from '@avfleet/config';
import { extFilterMatches, extensions, patternMatches, regexFilterMatches } from './part-filters';

const pat = (source: string, flags = '', wholeText = false): CompiledPattern => ({ name: 'L', source, regex: new RegExp(source, flags), wholeText });

describe('extensions() (docs/semantics.md §3.3 examples)', () => {
  it.each([
    ['file.doc', ['doc', null]],
    ['archive.tar.gz', ['gz', 'tar']],
    ['Invoice.PDF.exe', ['exe', 'pdf']],
    ['.bashrc', ['bashrc', null]],
    ['noext', [null, null]],
    ['file.', ['', null]],
    ['dir/sub.d/file', ['d/file', null]],
  ])('%s', (name, expected) => {
    expect(extensions(name)).toEqual(expected);
  });
});

describe('filters', () => {
  it('compares extension values by exact, case-sensitive equality', () => {
    expect(extFilterMatches({ regex: [], ext: ['pdf'] }, extensions('Invoice.PDF.exe'))).toBe(true);
    expect(extFilterMatches({ regex: [], ext: ['PDF'] }, extensions('Invoice.PDF.exe'))).toBe(false);
    expect(extFilterMatches({ regex: [], ext: ['.pdf'] }, extensions('a.pdf'))).toBe(false);
    expect(extFilterMatches({ regex: [], ext: ['c++'] }, extensions('x.c++'))).toBe(true);
    expect(extFilterMatches({ regex: [], ext: ['doc'] }, [null, null])).toBe(false);
  });

  it('searches regexes unanchored, and m{} patterns against the whole text', () => {
    expect(regexFilterMatches({ regex: [pat('exe')], ext: [] }, 'invoice.exe.txt')).toBe(true);
    expect(patternMatches(pat('exe', '', true), 'invoice.exe')).toBe(false);
    expect(patternMatches(pat('.*\\.exe', '', true), 'invoice.exe')).toBe(true);
    expect(patternMatches(pat('^APPLICATION/', 'i'), 'application/zip')).toBe(true);
  });

  it('gives the same answer on repeated calls with a global regex', () => {
    const p = pat('zip', 'g');
    expect([1, 2, 3].map(() => patternMatches(p, 'a.zip'))).toEqual([true, true, true]);
  });
});

describe('the m{…} whole-text rule is the same for part filters and symbol patterns', () => {
  it('needs the first match to cover the text (docs/semantics.md §7.2), not any match', async () => {
    const { matchPattern } = await import('../aggregate/match-patterns');
    const p = pat('a|ab', '', true);
    // The first match of /a|ab/ in "ab" is "a": it does not cover the text, so no match, in both places.
    expect(patternMatches(p, 'ab')).toBe(false);
    expect(matchPattern([p], 'ab')).toBeNull();
    expect(patternMatches(p, 'a')).toBe(true);
    expect(matchPattern([p], 'a')).toBe('L');
    expect(patternMatches(pat('x*', '', true), '')).toBe(false); // an empty text never matches
  });
});
