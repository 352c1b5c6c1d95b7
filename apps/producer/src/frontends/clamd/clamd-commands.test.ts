import { parseCommand } from './clamd-commands';

describe('parseCommand (clamd/session.c parse_command)', () => {
  it('exact names; path commands need a path, others no trailing text', () => {
    expect(parseCommand('PING', 'z').command).toEqual({ kind: 'ping' });
    expect(parseCommand('PING ', 'z').command).toEqual({ kind: 'unknown' });
    expect(parseCommand('SCAN /a b', 'n').command).toEqual({ kind: 'path-scan', name: 'SCAN', path: '/a b' });
    expect(parseCommand('SCAN', 'n').command).toEqual({ kind: 'unknown' });
    expect(parseCommand('SCAN ', 'n').command).toEqual({ kind: 'unknown' });
    expect(parseCommand('toString', 'z').command).toEqual({ kind: 'unknown' });
    expect(parseCommand('__proto__', 'z').command).toEqual({ kind: 'unknown' });
  });

  it('legacy (unprefixed) only for commands clamd supports that way; session validity as clamd', () => {
    expect(parseCommand('INSTREAM', 'legacy').command).toEqual({ kind: 'unknown' });
    expect(parseCommand('IDSESSION', 'legacy').command).toEqual({ kind: 'unknown' });
    expect(parseCommand('VERSION', 'legacy').command).toEqual({ kind: 'version' });
    expect(parseCommand('INSTREAM', 'n')).toEqual({ command: { kind: 'instream' }, inSession: true });
    expect(parseCommand('IDSESSION', 'z').inSession).toBe(false);
    expect(parseCommand('CONTSCAN /x', 'z').inSession).toBe(false);
    expect(parseCommand('SHUTDOWN', 'z')).toEqual({ command: { kind: 'unavailable', name: 'SHUTDOWN' }, inSession: false });
  });
});
