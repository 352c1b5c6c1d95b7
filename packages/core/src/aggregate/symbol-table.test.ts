import { SymbolTable } from './symbol-table';

describe('SymbolTable', () => {
  it('de-duplicates options in first-seen order and counts every insertion', () => {
    const t = new SymbolTable(() => 100, 4096);
    for (const option of ['B', 'A', 'B', 'C']) t.add({ symbol: 'S', weight: 1, option });
    expect(t.list()).toEqual([{ name: 'S', options: ['B', 'A', 'C'], weight: 4, insertions: 4, optionBytes: 3 }]);
  });

  it('caps the summed weight at nshots insertions', () => {
    const t = new SymbolTable((s) => (s === 'ONE' ? 1 : 3), 4096);
    for (let i = 0; i < 5; i++) {
      t.add({ symbol: 'ONE', weight: 1, option: `o${i}` });
      t.add({ symbol: 'THREE', weight: 1, option: `o${i}` });
    }
    const [one, three] = t.list();
    expect(one).toMatchObject({ weight: 1, insertions: 5, options: ['o0', 'o1', 'o2', 'o3', 'o4'] });
    expect(three).toMatchObject({ weight: 3, insertions: 5 });
  });

  it('past the cap keeps the larger weight of the same sign (Rspamd single mode)', () => {
    const t = new SymbolTable(() => 1, 4096);
    t.add({ symbol: 'S', weight: 0, option: 'fail' });
    t.add({ symbol: 'S', weight: 1, option: 'fail2' });
    expect(t.list()[0]?.weight).toBe(1);
  });

  it('cuts the options to "..." once their bytes would exceed the limit', () => {
    const t = new SymbolTable(() => 100, 10);
    for (const option of ['aaaa', 'bbbb', 'cccc', 'dddd']) t.add({ symbol: 'S', weight: 1, option });
    expect(t.list()[0]).toMatchObject({ options: ['aaaa', 'bbbb', '...'], insertions: 4, weight: 4 });
  });
});
