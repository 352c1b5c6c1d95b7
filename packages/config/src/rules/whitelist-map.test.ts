import { parseWhitelistLine, parseWhitelistMap, whitelistHasIp, whitelistHasName } from './whitelist-map';

describe('whitelist map (docs/semantics.md §2, §7.3)', () => {
  const map = parseWhitelistMap(
    [
      '# signatures we do not act on',
      'Heuristics.OLE2.ContainsMacros',
      'PUA.Win.Packer.Upx-1 some value',
      '"EICAR test file"  # quoted',
      'with\\#hash',
      '   ',
      '192.0.2.7',
      '10.0.0.0/8',
      '2001:db8::/32',
      '300.1.1.1',
    ].join('\n'),
  );

  it('splits names from IP and CIDR entries', () => {
    expect([...map.names].sort()).toEqual(['300.1.1.1', 'eicar test file', 'heuristics.ole2.containsmacros', 'pua.win.packer.upx-1', 'with#hash']);
    expect(map.ipRanges).toHaveLength(3);
  });

  it('compares names case-insensitively as whole strings', () => {
    expect(whitelistHasName(map, 'heuristics.ole2.CONTAINSMACROS')).toBe(true);
    expect(whitelistHasName(map, 'Heuristics.OLE2')).toBe(false);
    expect(whitelistHasName(map, 'EICAR Test File')).toBe(true);
  });

  it('matches client IPs against addresses and ranges', () => {
    expect(whitelistHasIp(map, '192.0.2.7')).toBe(true);
    expect(whitelistHasIp(map, '192.0.2.8')).toBe(false);
    expect(whitelistHasIp(map, '10.200.1.1')).toBe(true);
    expect(whitelistHasIp(map, '::ffff:10.1.1.1')).toBe(true);
    expect(whitelistHasIp(map, '2001:db8:1::5')).toBe(true);
    expect(whitelistHasIp(map, '2001:db9::5')).toBe(false);
    expect(whitelistHasIp(map, 'not-an-ip')).toBe(false);
  });

  it('reads escapes in quoted entries', () => {
    expect(parseWhitelistLine('"a \\"b\\""')).toBe('a "b"');
    expect(parseWhitelistLine('# x')).toBeNull();
  });
});
