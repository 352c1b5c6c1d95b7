import { buildOptionsRequest, buildRespmodHead, encodeFileName, icapAddr, partRequestUrl, respmodTrailer, type RespmodInput } from './icap-request';

const EICAR = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*', 'latin1');
const base: RespmodInput = {
  addr: '127.0.0.1',
  scheme: 'scan',
  allow204: false,
  clientIpHeader: null,
  rcptTo: null,
  mailFrom: null,
  userAgent: 'Rspamd',
  reqHeadersEnabled: true,
  httpHeadersEnabled: true,
  requestUrl: 'http://127.0.0.1/mail',
  contentType: 'application/octet-stream',
  date: 'Thu, 01 Jan 2026 00:00:00 GMT',
  bodyLength: 68,
};

describe('ICAP requests (docs/scanners.md icap, Steps 1-2)', () => {
  it('builds OPTIONS, with and without User-Agent', () => {
    expect(buildOptionsRequest('127.0.0.1', 'scan', 'Rspamd').toString()).toBe(
      'OPTIONS icap://127.0.0.1/scan ICAP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: Rspamd\r\nConnection: keep-alive\r\nEncapsulated: null-body=0\r\n\r\n',
    );
    expect(buildOptionsRequest('127.0.0.1', 'scan', null).toString()).not.toContain('User-Agent');
  });

  it('reproduces the worked example byte for byte', () => {
    const wire = Buffer.concat([buildRespmodHead(base), EICAR, respmodTrailer(68)]).toString('latin1');
    expect(wire).toBe(
      'RESPMOD icap://127.0.0.1/scan ICAP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: Rspamd\r\nEncapsulated: req-hdr=0, res-hdr=95, res-body=251\r\n\r\n' +
        'GET http://127.0.0.1/mail HTTP/1.0\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\nUser-Agent: Rspamd\r\n\r\n' +
        'HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\nServer: Apache/2.4\r\nUser-Agent: Rspamd\r\nContent-Length: 68\r\n\r\n' +
        `44\r\n${EICAR.toString('latin1')}\r\n0\r\n\r\n`,
    );
  });

  it('gives res-hdr=108, res-body=224 for the attachment example', () => {
    const url = partRequestUrl('192.0.2.10', 'invoice 2024.doc');
    expect(url).toBe('http://192.0.2.10/invoice+2024.doc');
    const head = buildRespmodHead({ ...base, requestUrl: url, contentType: null }).toString();
    expect(head).toContain('Encapsulated: req-hdr=0, res-hdr=108, res-body=224\r\n');
    expect(head).toContain('GET http://192.0.2.10/invoice+2024.doc HTTP/1.0\r\n');
    expect(head).not.toContain('Content-Type');
  });

  it('puts the optional ICAP headers in order', () => {
    const head = buildRespmodHead({ ...base, allow204: true, clientIpHeader: '192.0.2.10', rcptTo: 'bob@example.org', mailFrom: 'alice@example.org' }).toString();
    expect(head.split('\r\n\r\n')[0]).toBe(
      'RESPMOD icap://127.0.0.1/scan ICAP/1.0\r\nHost: 127.0.0.1\r\nAllow: 204\r\nX-Client-IP: 192.0.2.10\r\nX-Rcpt-To: bob@example.org\r\nX-Mail-From: alice@example.org\r\n' +
        'User-Agent: Rspamd\r\nEncapsulated: req-hdr=0, res-hdr=95, res-body=251',
    );
  });

  it('omits disabled header blocks with a consistent Encapsulated (D17)', () => {
    const resOnly = buildRespmodHead({ ...base, reqHeadersEnabled: false }).toString();
    expect(resOnly).toContain('Encapsulated: res-hdr=0, res-body=156\r\n\r\nHTTP/1.0 200 OK');
    const none = buildRespmodHead({ ...base, reqHeadersEnabled: false, httpHeadersEnabled: false }).toString();
    expect(none).toBe('RESPMOD icap://127.0.0.1/scan ICAP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: Rspamd\r\nEncapsulated: res-body=0\r\n\r\n44\r\n');
    const reqOnly = buildRespmodHead({ ...base, httpHeadersEnabled: false }).toString();
    expect(reqOnly).toContain('Encapsulated: req-hdr=0, res-body=95\r\n');
  });

  it('sends only the last chunk for an empty body', () => {
    expect(buildRespmodHead({ ...base, bodyLength: 0 }).toString().endsWith('Content-Length: 0\r\n\r\n')).toBe(true);
    expect(respmodTrailer(0).toString()).toBe('0\r\n\r\n');
  });

  it('encodes file names and client hosts (D19, IPv6)', () => {
    expect(encodeFileName('a b_%-.~/ä?.doc')).toBe('a+b_%-.~%2F%C3%A4%3F.doc');
    expect(partRequestUrl(undefined, undefined)).toBe('http://127.0.0.1/');
    expect(partRequestUrl('2001:db8::7', 'x.zip')).toBe('http://ip6-2001-db8--7/x.zip');
  });

  it('brackets IPv6 server addresses and uses socket paths as they are (D21)', () => {
    expect(icapAddr({ kind: 'tcp', host: '::1', port: 1344 })).toBe('[::1]');
    expect(icapAddr({ kind: 'tcp', host: '10.0.0.8', port: 1344 })).toBe('10.0.0.8');
    expect(icapAddr({ kind: 'unix', path: '/run/icap.sock' })).toBe('/run/icap.sock');
  });
});
