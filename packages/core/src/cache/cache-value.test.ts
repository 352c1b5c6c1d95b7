import { decodeCacheValue, encodeCacheValue } from './cache-value';
import type { Verdict } from '@avfleet/scanners';

const AV = { isHashService: false } as const;

describe('encodeCacheValue', () => {
  it.each<[Verdict, object, string | null]>([
    [{ kind: 'clean' }, {}, 'OK\t1'],
    [{ kind: 'clean' }, { isIcap: true }, 'OK\t0'],
    [{ kind: 'virus', names: ['Eicar-Test-Signature'] }, {}, 'Eicar-Test-Signature\t1'],
    [{ kind: 'virus', names: ['A', 'B'], weight: 0.5 }, {}, 'A\vB\t0.5'],
    [{ kind: 'virus', names: ['A'] }, { weight: 2 }, 'A\t2'],
    [{ kind: 'encrypted', text: 'File is encrypted: Heuristics.Encrypted.Zip' }, {}, 'ENCRYPTED\t1'],
    [{ kind: 'macro', text: 'x' }, {}, 'MACRO\t1'],
    [{ kind: 'category', symbol: 'VIRUSTOTAL_HIGH', option: 'ab:61/68' }, {}, 'VIRUSTOTAL_HIGH\vab:61/68\t1'],
    [{ kind: 'virus', names: ['E'] }, { filename: 'invoice.zip' }, 'E\t1\tinvoice.zip'],
    [{ kind: 'virus', names: ['E'] }, { filename: null }, 'E\t1'],
    [{ kind: 'fail', text: 'timeout', reason: 'timeout' }, {}, null],
  ])('%j %j → %j', (verdict, options, value) => {
    expect(encodeCacheValue(verdict, options)).toBe(value);
  });
});

describe('decodeCacheValue', () => {
  it('reads clean, macro and encrypted with the cached texts', () => {
    expect(decodeCacheValue('OK\t1', AV)).toEqual({ kind: 'clean' });
    expect(decodeCacheValue('OK\t0', AV)).toEqual({ kind: 'clean' });
    expect(decodeCacheValue('MACRO\t1', AV)).toEqual({ kind: 'macro', text: 'File contains macros' });
    expect(decodeCacheValue('ENCRYPTED\t1.0', AV)).toEqual({ kind: 'encrypted', text: 'File is encrypted' });
  });

  it('reads virus names joined by \\v and the weight, 1 and 1.0 alike', () => {
    expect(decodeCacheValue('Eicar-Test-Signature\t1', AV)).toEqual({ kind: 'virus', names: ['Eicar-Test-Signature'], weight: 1 });
    expect(decodeCacheValue('A\vB\t1.0\tfile.zip', AV)).toEqual({ kind: 'virus', names: ['A', 'B'], weight: 1 });
    expect(decodeCacheValue('A\t0.5', AV)).toEqual({ kind: 'virus', names: ['A'], weight: 0.5 });
  });

  it('falls back to default_score, then 1, for a missing weight', () => {
    expect(decodeCacheValue('A', { isHashService: false, defaultScore: 3 })).toEqual({ kind: 'virus', names: ['A'], weight: 3 });
    expect(decodeCacheValue('A\tjunk', AV)).toEqual({ kind: 'virus', names: ['A'], weight: 1 });
  });

  it('reads two pieces as a category only for hash services', () => {
    const v = 'VIRUSTOTAL_HIGH\v44d8:61/68\t1';
    expect(decodeCacheValue(v, { isHashService: true })).toEqual({ kind: 'category', symbol: 'VIRUSTOTAL_HIGH', option: '44d8:61/68' });
    expect(decodeCacheValue(v, AV)).toEqual({ kind: 'virus', names: ['VIRUSTOTAL_HIGH', '44d8:61/68'], weight: 1 });
    expect(decodeCacheValue('OK\t1', { isHashService: true })).toEqual({ kind: 'clean' });
  });

  it('treats an empty value as a miss', () => {
    expect(decodeCacheValue('', AV)).toBeNull();
    expect(decodeCacheValue('\t1', AV)).toBeNull();
  });

  it('round-trips what it writes (except the fresh encrypted/macro texts)', () => {
    const v: Verdict = { kind: 'virus', names: ['X', 'Y'], weight: 1 };
    expect(decodeCacheValue(encodeCacheValue(v) as string, AV)).toEqual(v);
  });
});
