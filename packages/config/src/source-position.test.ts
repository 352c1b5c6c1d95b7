import { ConfigError, ConfigErrors } from './errors';
import { inSourceOrder, type SourcePosition } from './source-position';

const at = (file: string, line: number, column = 1): SourcePosition => ({ file, line, column });

describe('inSourceOrder', () => {
  it('orders by file (as they first appear), then line and column; positionless items last, in their order', () => {
    const items: [string, SourcePosition | null][] = [
      ['summary', null],
      ['local 9', at('/c/local.d/antivirus.conf', 9)],
      ['main 4', at('/c/antivirus.conf', 4)],
      ['local 2:7', at('/c/local.d/antivirus.conf', 2, 7)],
      ['other', null],
      ['local 2:3', at('/c/local.d/antivirus.conf', 2, 3)],
      ['main 1', at('/c/antivirus.conf', 1)],
    ];
    expect(inSourceOrder(items, ([, p]) => p).map(([n]) => n)).toEqual(['local 2:3', 'local 2:7', 'local 9', 'main 1', 'main 4', 'summary', 'other']);
  });

  it('keeps the order of items at the same place (stable)', () => {
    const items = ['a', 'b', 'c'].map((n) => ({ n, p: at('f', 1) }));
    expect(inSourceOrder(items, (i) => i.p).map((i) => i.n)).toEqual(['a', 'b', 'c']);
  });
});

describe('ConfigErrors', () => {
  it('holds and formats its errors in line order', () => {
    const errs = new ConfigErrors([
      new ConfigError('AVF_ERR_CONFIG_VALUE', 'third', at('f.conf', 4, 3)),
      new ConfigError('AVF_ERR_CONFIG_RULE', 'none left', null),
      new ConfigError('AVF_ERR_CONFIG_RULE', 'first', at('f.conf', 2, 3)),
    ]);
    expect(errs.errors.map((e) => e.message)).toEqual(['first', 'third', 'none left']);
    expect(errs.message).toBe('f.conf:2:3: first\nf.conf:4:3: third\nnone left');
    expect(errs.code).toBe('AVF_ERR_CONFIG_RULE');
  });
});
