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

  it.each(SCANNER_TYPES.filter((t) => t !== 'clamav'))('says that %s is not implemented yet', (type) => {
    expect(() => createScanner(type, opts)).toThrow(expect.objectContaining({ code: 'AVF_ERR_SCANNER_NOT_IMPLEMENTED', message: expect.stringContaining(`scanner type ${type} is not implemented yet`) }));
  });

  it('rejects an unknown type and bad options with their codes', () => {
    expect(() => createScanner('clamd', opts)).toThrow(expect.objectContaining({ code: 'AVF_ERR_SCANNER_UNKNOWN_TYPE' }));
    expect(() => createScanner('clamav', { ...opts, timeoutSec: 0 })).toThrow(expect.objectContaining({ code: 'AVF_ERR_SCANNER_OPTIONS' }));
    expect(() => createScanner('clamav', { ...opts, servers: { ...opts.servers, entries: [] } })).toThrow(expect.objectContaining({ code: 'AVF_ERR_SCANNER_OPTIONS' }));
  });
});
