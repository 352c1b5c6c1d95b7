import { MAX_NAME_BYTES, boundName, boundText } from './field-bounds';

describe('boundText', () => {
  it('returns a text that fits unchanged (the same string)', () => {
    const name = 'a'.repeat(MAX_NAME_BYTES - 4) + '.pdf';
    expect(boundName(name)).toBe(name);
    expect(boundName(null)).toBeNull();
    expect(boundText('', 10)).toBe('');
  });

  it('cuts a long name to at most the bound, keeps its start and extension, and says how many bytes were cut', () => {
    const name = 'report-' + 'x'.repeat(50_000) + '.exe';
    const cut = boundName(name) as string;
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(cut.startsWith('report-xxx')).toBe(true);
    expect(cut.endsWith('xxx.exe')).toBe(true);
    const m = /…\[(\d+) bytes cut\]…/.exec(cut);
    expect(m).not.toBeNull();
    // What is kept plus what was cut is the whole name.
    expect(Buffer.byteLength(cut) - Buffer.byteLength(m![0]) + Number(m![1])).toBe(Buffer.byteLength(name));
  });

  it('never splits a multi-byte character', () => {
    for (const ch of ['é', '€', '😀']) {
      for (let extra = 0; extra < 5; extra++) {
        const name = 'n'.repeat(extra) + ch.repeat(400);
        const cut = boundName(name) as string;
        expect(cut).not.toContain('\uFFFD');
        expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(MAX_NAME_BYTES);
        expect(Buffer.from(cut, 'utf8').toString('utf8')).toBe(cut);
      }
    }
  });

  it('is exact at the edge: the bound fits, one byte more is cut', () => {
    expect(boundText('y'.repeat(100), 100)).toBe('y'.repeat(100));
    const over = boundText('y'.repeat(101), 100);
    expect(over).toContain('bytes cut');
    expect(Buffer.byteLength(over)).toBeLessThanOrEqual(100);
  });
});
