import { clean, encrypted, fail, macro, virus } from '../../verdict';
import { CLAMAV_SIZE_LIMIT_REPLY, isClamavSizeLimitReply, mapClamavReply, parseClamavVersion } from './clamav-reply';

/** The real replies quoted in docs/scanners.md "clamav" (text before the NUL) and their verdicts. */
describe('mapClamavReply', () => {
  it.each([
    ['stream: OK', clean()],
    ['stream: Eicar-Test-Signature FOUND', virus(['Eicar-Test-Signature'])],
    ['stream: Win.Test.EICAR_HDB-1 FOUND', virus(['Win.Test.EICAR_HDB-1'])],
    ['stream: Eicar-Test-Signature.UNOFFICIAL FOUND', virus(['Eicar-Test-Signature.UNOFFICIAL'])],
    ['stream: Heuristics.Encrypted.Zip FOUND', encrypted('File is encrypted: Heuristics.Encrypted.Zip')],
    ['stream: Heuristics.Encrypted.PDF FOUND', encrypted('File is encrypted: Heuristics.Encrypted.PDF')],
    ['stream: Heuristics.OLE2.ContainsMacros FOUND', macro('Heuristics.OLE2.ContainsMacros')],
    ['stream: Heuristics.OLE2.ContainsMacros.VBA FOUND', macro('Heuristics.OLE2.ContainsMacros.VBA')],
    ['stream: Heuristics.Limits.Exceeded FOUND', fail('Limits Exceeded: Heuristics.Limits.Exceeded', 'limits')],
    ['stream: Heuristics.Limits.Exceeded.MaxRecursion FOUND', fail('Limits Exceeded: Heuristics.Limits.Exceeded.MaxRecursion', 'limits')],
    ['INSTREAM size limit exceeded. ERROR', fail('unhandled response: INSTREAM size limit exceeded. ERROR', 'limits')],
    ['UNKNOWN COMMAND', fail('unhandled response: UNKNOWN COMMAND', 'error')],
    ['', fail('unhandled response: ', 'error')],
  ])('%j', (reply, verdict) => {
    expect(mapClamavReply(reply)).toEqual(verdict);
  });

  it('extracts the name greedily, up to the last " FOUND"', () => {
    expect(mapClamavReply('stream: Odd FOUND name FOUND')).toEqual(virus(['Odd FOUND name']));
  });

  it('is exact about "stream: OK" (anything else is not clean)', () => {
    expect(mapClamavReply('stream: OK\n').kind).toBe('fail');
    expect(mapClamavReply('stream:OK').kind).toBe('fail');
  });

  it('gives the prefix that the stock patterns_fail example expects', () => {
    const v = mapClamavReply('garbage');
    expect(v.kind === 'fail' && /^unhandled response/.test(v.text)).toBe(true);
  });

  it('recognises the size-limit reply', () => {
    expect(isClamavSizeLimitReply(CLAMAV_SIZE_LIMIT_REPLY)).toBe(true);
    expect(isClamavSizeLimitReply('stream: OK')).toBe(false);
  });
});

describe('parseClamavVersion', () => {
  it('returns the database version when clamd reports one', () => {
    expect(parseClamavVersion('ClamAV 1.0.5/27412/Tue Sep 24 08:34:05 2024')).toBe('27412');
    expect(parseClamavVersion('ClamAV 0.103.11/26950')).toBe('26950');
  });
  it('returns null when there is no /dbver/ part', () => {
    expect(parseClamavVersion('ClamAV 1.4.6')).toBeNull();
    expect(parseClamavVersion('UNKNOWN COMMAND')).toBeNull();
  });
});
