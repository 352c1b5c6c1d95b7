import { clean, fail, virus } from '../../verdict';
import { SavapiScanReply, isSavapiGreeting, isSavapiProductAccepted, savapiDetectionName } from './savapi-reply';

describe('savapi replies (docs/scanners.md savapi, D6)', () => {
  it('recognises the greeting and the product acknowledgement', () => {
    expect(isSavapiGreeting('100 SAVAPI:4.0 Avira SAVAPI ready')).toBe(true);
    expect(isSavapiGreeting('500 Too many connections')).toBe(false);
    expect(isSavapiProductAccepted('100 PRODUCT:12345')).toBe(true);
    expect(isSavapiProductAccepted('451 Invalid product id')).toBe(false);
  });

  it('extracts names as Rspamd does (greedy, one whitespace before ";" dropped)', () => {
    expect(savapiDetectionName('310 /tmp/x.tmp <<< Eicar-Test-Signature ; virus ; Contains code of the Eicar-Test-Signature virus')).toBe('Eicar-Test-Signature');
    expect(savapiDetectionName('310 Eicar-Test-Signature ; virus ; text')).toBe('Eicar-Test-Signature');
    expect(savapiDetectionName('310 x <<< Name ; virus ; a ; b')).toBe('Name ; virus');
    expect(savapiDetectionName('310 x <<< Name  ; virus ; a')).toBe('Name ');
    expect(savapiDetectionName('310 no fields here')).toBeNull();
  });

  it('collects 310 names (acknowledging each) until 319', () => {
    const r = new SavapiScanReply();
    expect(r.feed('310 /tmp/a.tmp <<< Eicar-Test-Signature ; virus ; Contains code of the Eicar-Test-Signature virus')).toEqual({ kind: 'ack' });
    expect(r.feed('310 /tmp/a.tmp <<< TR/Agent.200 ; trojan ; Contains TR/Agent.200')).toEqual({ kind: 'ack' });
    expect(r.feed('310 /tmp/a.tmp <<< Eicar-Test-Signature ; virus ; again')).toEqual({ kind: 'ack' });
    expect(r.feed('319 /tmp/a.tmp infected')).toEqual({ kind: 'done', verdict: virus(['Eicar-Test-Signature', 'TR/Agent.200']) });
  });

  it('takes 200 and 210 as clean by their leading code only (defect a)', () => {
    expect(new SavapiScanReply().feed('200 /tmp/a.tmp clean')).toEqual({ kind: 'done', verdict: clean() });
    expect(new SavapiScanReply().feed('210 /tmp/a.tmp not scanned')).toEqual({ kind: 'done', verdict: clean() });
    const r = new SavapiScanReply();
    expect(r.feed('310 /tmp/a.tmp <<< W32/Foo.200 ; virus ; W32/Foo.200')).toEqual({ kind: 'ack' });
    expect(r.feed('319 /tmp/a.tmp')).toEqual({ kind: 'done', verdict: virus(['W32/Foo.200']) });
  });

  it('fails on 4xx/5xx, garbage and unparseable 310 lines; waits past other codes and blank lines', () => {
    expect(new SavapiScanReply().feed('500 Unknown command')).toEqual({ kind: 'done', verdict: fail('unhandled response: 500 Unknown command') });
    expect(new SavapiScanReply().feed('430 File not found')).toEqual({ kind: 'done', verdict: fail('unhandled response: 430 File not found') });
    expect(new SavapiScanReply().feed('hello')).toEqual({ kind: 'done', verdict: fail('unhandled response: hello') });
    expect(new SavapiScanReply().feed('310 broken')).toEqual({ kind: 'done', verdict: fail('virus result unparseable: 310 broken') });
    expect(new SavapiScanReply().feed('')).toEqual({ kind: 'next' });
    expect(new SavapiScanReply().feed('110 progress')).toEqual({ kind: 'next' });
  });

  it('gives the names when a 2xx line follows detections (defect d)', () => {
    const r = new SavapiScanReply();
    r.feed('310 x <<< Eicar-Test-Signature ; virus ; t');
    expect(r.feed('200 x')).toEqual({ kind: 'done', verdict: virus(['Eicar-Test-Signature']) });
  });
});
