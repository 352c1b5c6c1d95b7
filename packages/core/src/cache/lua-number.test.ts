import { formatLuaNumber } from './lua-number';

describe('formatLuaNumber (%.14g, as LuaJIT prints)', () => {
  it.each([
    [1, '1'],
    [1.0, '1'],
    [0, '0'],
    [0.5, '0.5'],
    [2.5, '2.5'],
    [-3, '-3'],
    [0.1 + 0.2, '0.3'],
    [1 / 3, '0.33333333333333'],
    [123456789012345, '1.2345678901234e+14'],
    [1e15, '1e+15'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [100, '100'],
    [-0.25, '-0.25'],
    [123.456, '123.456'],
    [99999999999999.9, '1e+14'],
    [99999999999999.5, '1e+14'],
    [0.000123, '0.000123'],
    [1e100, '1e+100'],
    [5e-324, '4.9406564584125e-324'],
    [7, '7'],
    [-42, '-42'],
    [-0, '-0'],
    [99999999999999, '99999999999999'],
    [-99999999999999, '-99999999999999'],
    [1e14, '1e+14'],
    [100000000000001, '1e+14'],
  ])('%p → %s', (n, s) => {
    expect(formatLuaNumber(n)).toBe(s);
  });

  it('prints integers of 1 to 14 digits exactly as %.14g does (toPrecision(14) without trailing zeros)', () => {
    let seed = 12345;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let i = 0; i < 2000; i++) {
      const digits = 1 + (i % 14);
      const n = Math.floor(next() * 10 ** digits) * (next() < 0.5 ? -1 : 1);
      if (n === 0) continue;
      const precise = n.toPrecision(14);
      const expected = precise.includes('.') ? precise.replace(/\.?0+$/, '') : precise;
      expect({ n, s: formatLuaNumber(n) }).toEqual({ n, s: expected });
    }
  });
});
