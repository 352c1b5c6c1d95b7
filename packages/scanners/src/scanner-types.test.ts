import { isHashService, isHashServiceType, isScannerType, SCANNER_TYPES, type ScannerSpecificOptions } from './scanner-types';

describe('scanner types', () => {
  it('knows the ten types and nothing else', () => {
    expect(SCANNER_TYPES.every(isScannerType)).toBe(true);
    expect(isScannerType('clamd')).toBe(false);
    expect(isScannerType('')).toBe(false);
  });

  it('calls exactly virustotal and metadefender hash services', () => {
    expect(SCANNER_TYPES.filter(isHashServiceType)).toEqual(['virustotal', 'metadefender']);
  });

  it('narrows specific options to a hash service\'s', () => {
    const specific: ScannerSpecificOptions = {
      type: 'virustotal', apikey: 'k', url: 'https://vt.example', minimumEngines: 3, lowCategory: 5, mediumCategory: 10,
      symbols: { clean: { symbol: 'C', enabled: true }, low: { symbol: 'L', enabled: true }, medium: { symbol: 'M', enabled: true }, high: { symbol: 'H', enabled: true } },
    };
    expect(isHashService(specific) ? specific.apikey : null).toBe('k');
    expect(isHashService({ type: 'clamav' })).toBe(false);
  });
});
