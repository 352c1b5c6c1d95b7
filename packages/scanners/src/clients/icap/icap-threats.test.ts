import { parseEncapsulated, parseIcapBlock } from './icap-block';
import { icapThreatCascade, splitThreats } from './icap-threats';

const icap = (...headers: string[]) => parseIcapBlock(['ICAP/1.0 200 OK', ...headers].join('\r\n'));
const http = (status: string, ...headers: string[]) => parseIcapBlock([status, ...headers].join('\r\n'));
const threats = (...names: string[]) => ({ kind: 'threats', names });

describe('parseIcapBlock (docs/scanners.md icap, header parser)', () => {
  it('finds the status lines, lower-cases names, keeps the value after one optional space, last repeat wins', () => {
    const b = parseIcapBlock('ICAP/1.0 200 OK\r\nX-Virus-ID:  two spaces \r\nISTag: "a"\r\nistag: "b"\r\nHTTP/1.1 403 Forbidden\r\nno colon here\r\nEmpty:\r\n');
    expect(b.icapStatus).toBe('ICAP/1.0 200 OK');
    expect(b.httpStatus).toBe('HTTP/1.1 403 Forbidden');
    expect(b.headers.get('x-virus-id')).toBe(' two spaces ');
    expect(b.headers.get('istag')).toBe('"b"');
    expect(b.headers.has('empty')).toBe(false);
  });
  it('takes the first regex match in a line (name chars are A-Za-z0-9+-)', () => {
    expect(parseIcapBlock('Foo Bar: baz').headers.get('bar')).toBe('baz');
  });
  it('parses Encapsulated offsets', () => {
    expect(parseEncapsulated('req-hdr=0, res-hdr=95, res-body=251')).toEqual(new Map([['req-hdr', 0], ['res-hdr', 95], ['res-body', 251]]));
    expect(parseEncapsulated('null-body=0')).toEqual(new Map([['null-body', 0]]));
  });
});

describe('icapThreatCascade (docs/scanners.md icap, Step 3, vendor table)', () => {
  it.each([
    [icap('X-Infection-Found: Type=0; Resolution=2; Threat=Troj/DocDl-OYC;'), threats('Troj/DocDl-OYC')],
    [icap('X-Infection-Found: Type=0; Resolution=2; Threat={HEX}EICAR.TEST.3.UNOFFICIAL;'), threats('{HEX}EICAR.TEST.3.UNOFFICIAL')],
    [icap('X-Infection-Found: Type=2; Resolution=2; Threat=Encrypted container violation;'), { kind: 'fail', text: 'Encrypted container violation' }],
    [icap('X-Infection-Found: Type=2; Resolution=2; Threat=Container size violation'), { kind: 'fail', text: 'Container size violation' }],
    [icap('X-Virus-ID: HEUR:Backdoor.Java.QRat.gen'), threats('HEUR:Backdoor.Java.QRat.gen')],
    [icap('X-Virus-ID: no threats', 'X-Response-Info: passed'), null],
    [icap('X-Virus-ID: EICAR test file'), threats('EICAR test file')],
    [icap('X-Virus-ID: Foo, Bar Baz'), threats('Foo', 'BarBaz')],
    [icap('X-FSecure-Scan-Result: infected', 'X-FSecure-Infection-Name: "Malware.W97M/Agent.32584203"'), threats('Malware.W97M/Agent.32584203')],
    [icap('X-FSecure-Scan-Result: infected'), threats('-unknown-')],
    [icap('X-FSecure-Scan-Result: clean'), null],
    [http('HTTP/1.1 403 Forbidden', 'X-Blocked: Virus found during virus scan'), threats('Virus found during virus scan')],
    [http('HTTP/1.1 403 Forbidden'), threats('pseudo-virus (blocked): 403 Forbidden')],
    [http('HTTP/1.0 307 Temporary Redirect'), null],
    [icap('ISTag: "x"', 'Encapsulated: null-body=0'), null],
  ])('%#', (block, expected) => {
    expect(icapThreatCascade(block, false)).toEqual(expected);
  });

  it('takes the whole X-Infection-Found value, or X-Virus-Name, when the value does not parse', () => {
    expect(icapThreatCascade(icap('X-Infection-Found: something odd'), false)).toEqual(threats('something odd'));
    expect(icapThreatCascade(icap('X-Infection-Found: odd', 'X-Virus-Name: A, B'), false)).toEqual(threats('A', 'B'));
  });

  it('follows the branch order: X-Virus-Name before X-Virus-ID before the HTTP status', () => {
    const b = parseIcapBlock('HTTP/1.1 403 Forbidden\r\nX-Virus-ID: Second\r\nX-Virus-Name: First\r\nX-Block-Reason: Third');
    expect(icapThreatCascade(b, false)).toEqual(threats('First'));
    expect(icapThreatCascade(parseIcapBlock('HTTP/1.1 403 Forbidden\r\nX-MWG-Block-Reason: mwg'), false)).toEqual(threats('mwg'));
    expect(icapThreatCascade(parseIcapBlock('HTTP/1.1 403 Forbidden\r\nX-Block-Reason: r'), false)).toEqual(threats('r'));
  });

  it('treats a 3xx as a threat only with use_http_3xx_as_threat', () => {
    expect(icapThreatCascade(http('HTTP/1.0 307 Temporary Redirect'), true)).toEqual(threats('pseudo-virus (redirect): 307 Temporary Redirect'));
  });

  it('splits on commas after deleting all whitespace, keeping empty items', () => {
    expect(splitThreats('A ,B C,')).toEqual(['A', 'BC', '']);
    expect(splitThreats('A B')).toEqual(['A B']);
  });
});
