import { formatServerEntry, parseServers } from './parse-servers';

describe('parseServers (docs/semantics.md §10.1)', () => {
  it('parses host:port, default port, priority and unix paths', () => {
    const r = parseServers('10.0.0.1:3311:5, av.example.com /var/run/clamd.sock ./rel.sock', 3310);
    expect(r.rejected).toEqual([]);
    expect(r.servers?.strategy).toBe('round-robin');
    expect(r.servers?.explicitStrategy).toBe(false);
    expect(r.servers?.entries).toEqual([
      { kind: 'tcp', host: '10.0.0.1', port: 3311, priority: 5 },
      { kind: 'tcp', host: 'av.example.com', port: 3310, priority: 0 },
      { kind: 'unix', path: '/var/run/clamd.sock', priority: 0 },
      { kind: 'unix', path: './rel.sock', priority: 0 },
    ]);
  });

  it('accepts every separator', () => {
    const r = parseServers('a:1,b:2;c:3 d:4\te:5\r\nf:6', 0);
    expect(r.servers?.entries.map(formatServerEntry)).toEqual(['a:1', 'b:2', 'c:3', 'd:4', 'e:5', 'f:6']);
  });

  it('reads a strategy prefix and gives the first master-slave entry priority 1', () => {
    const r = parseServers('master-slave:10.0.0.10:4010, 10.0.0.11:4010', 4010);
    expect(r.servers?.strategy).toBe('master-slave');
    expect(r.servers?.explicitStrategy).toBe(true);
    expect(r.servers?.entries.map((e) => e.priority)).toEqual([1, 0]);
    const explicit = parseServers('master-slave:10.0.0.1:3310:10,10.0.0.2:3310', 3310);
    expect(explicit.servers?.entries.map((e) => e.priority)).toEqual([10, 0]);
    expect(parseServers('round-robin:av1 av2:3311', 3310).servers?.entries).toHaveLength(2);
    expect(parseServers('random:h', 1).servers?.strategy).toBe('random');
    expect(parseServers('hash:h', 1).servers?.strategy).toBe('hash');
  });

  it('parses bracketed IPv6 and rejects unbracketed IPv6', () => {
    expect(parseServers('[2001:db8::7]:3310', 1).servers?.entries).toEqual([
      { kind: 'tcp', host: '2001:db8::7', port: 3310, priority: 0 },
    ]);
    expect(parseServers('[::1]', 3310).servers?.entries[0]).toEqual({ kind: 'tcp', host: '::1', port: 3310, priority: 0 });
    const bad = parseServers('2001:db8::7', 3310);
    expect(bad.servers).toBeNull();
    expect(bad.rejected).toEqual(['2001:db8::7']);
  });

  it('parses SRV entries', () => {
    expect(parseServers('service=clamd+example.org:3', 0).servers?.entries).toEqual([
      { kind: 'srv', service: 'clamd', domain: 'example.org', priority: 3 },
    ]);
  });

  it('skips bad entries and keeps the good ones; a list of strings is one pool', () => {
    const r = parseServers(['10.0.0.1:99999', 'h:abc', 'ok:1'], 3310);
    expect(r.rejected).toEqual(['10.0.0.1:99999', 'h:abc']);
    expect(r.servers?.entries).toHaveLength(1);
    expect(parseServers(['a', 'b:2'], 7).servers?.entries.map(formatServerEntry)).toEqual(['a:7', 'b:2']);
  });

  it('uses port 0 when the default port is 0 (kaspersky, avast)', () => {
    expect(parseServers('10.0.0.1', 0).servers?.entries[0]).toMatchObject({ port: 0 });
  });

  it('returns null when nothing parses', () => {
    expect(parseServers('  ', 1).servers).toBeNull();
  });
});
