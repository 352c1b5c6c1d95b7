import { ClamavClient } from './clients/clamav/clamav-client';
import { createScanner, SCANNER_TYPES, type ScannerClientOptions } from './create-scanner';

const opts: ScannerClientOptions = {
  servers: { strategy: 'round-robin', explicitStrategy: false, entries: [{ kind: 'tcp', host: '127.0.0.1', port: 3310, priority: 0 }] },
  timeoutSec: 5,
  retransmits: 2,
};

describe('createScanner', () => {
  it('builds a clamav client', () => {
    const s = createScanner('clamav', opts);
    expect(s).toBeInstanceOf(ClamavClient);
    expect(s.type).toBe('clamav');
  });

  it.each([...SCANNER_TYPES])('builds a client of type %s with the options the type requires', (type) => {
    const extra = { tmpdir: '/tmp', productId: '12345', apikey: 'k', scheme: 'virus_scan' };
    expect(createScanner(type, { ...opts, ...extra }).type).toBe(type);
  });

  it.each([
    ['fprot', {}, 'fprot'],
    ['sophos', {}, 'sophos'],
    ['kaspersky', { tmpdir: '/tmp' }, 'kaspersky'],
    ['avast', { tmpdir: '/tmp' }, 'avast'],
    ['savapi', { tmpdir: '/tmp', productId: '12345' }, 'savapi'],
  ])('builds a %s client', (type, extra, expected) => {
    expect(createScanner(type, { ...opts, ...extra }).type).toBe(expected);
  });

  it('asks for tmpdir and productId where the type needs them', () => {
    expect(() => createScanner('avast', opts)).toThrow(expect.objectContaining({ code: 'AVF_ERR_SCANNER_OPTIONS', message: expect.stringContaining('tmpdir is required') }));
    expect(() => createScanner('savapi', { ...opts, tmpdir: '/tmp' })).toThrow(expect.objectContaining({ code: 'AVF_ERR_SCANNER_OPTIONS', message: expect.stringContaining('productId is required') }));
  });

  it('rejects an unknown type and bad options with their codes', () => {
    expect(() => createScanner('clamd', opts)).toThrow(expect.objectContaining({ code: 'AVF_ERR_SCANNER_UNKNOWN_TYPE' }));
    expect(() => createScanner('clamav', { ...opts, timeoutSec: 0 })).toThrow(expect.objectContaining({ code: 'AVF_ERR_SCANNER_OPTIONS' }));
    expect(() => createScanner('clamav', { ...opts, servers: { ...opts.servers, entries: [] } })).toThrow(expect.objectContaining({ code: 'AVF_ERR_SCANNER_OPTIONS' }));
  });
});

describe('createScanner for the HTTP scanners and ICAP', () => {
  it.each([
    ['kaspersky_se', {}],
    ['icap', { scheme: 'virus_scan' }],
    ['virustotal', { apikey: 'k' }],
    ['metadefender', { apikey: 'k' }],
  ])('builds a %s client', (type, extra) => {
    expect(createScanner(type, { ...opts, ...extra }).type).toBe(type);
  });

  it('builds hash services without servers but asks for their apikey', () => {
    const noServers = { ...opts, servers: { ...opts.servers, entries: [] } };
    expect(createScanner('virustotal', { ...noServers, apikey: 'k' }).type).toBe('virustotal');
    expect(() => createScanner('metadefender', noServers)).toThrow(expect.objectContaining({ code: 'AVF_ERR_SCANNER_OPTIONS', message: expect.stringContaining('apikey is required') }));
    expect(() => createScanner('icap', noServers)).toThrow(expect.objectContaining({ code: 'AVF_ERR_SCANNER_OPTIONS' }));
  });
});
