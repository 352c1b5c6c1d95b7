import { parseDurationSeconds, parseHostPort, parseListenAddress, parseByteSize, parseActionThresholds } from './parse-setting-value';
import type { RawSetting } from './read-env';

const raw = (value: string): RawSetting => ({ key: 'x', value, origin: 'X', position: null, baseDir: '/' });

describe('setting value parsers', () => {
  it('durations', () => {
    expect(parseDurationSeconds('7d')).toBe(604800);
    expect(parseDurationSeconds('90')).toBe(90);
    expect(parseDurationSeconds('1.5h')).toBe(5400);
    expect(parseDurationSeconds('30M')).toBe(1800);
    expect(parseDurationSeconds('1w')).toBe(604800);
    expect(parseDurationSeconds('7 days')).toBeNull();
    expect(parseDurationSeconds('-1d')).toBeNull();
  });

  it('host:port forms', () => {
    expect(parseHostPort(raw('localhost:0'))).toEqual({ host: 'localhost', port: 0 });
    expect(parseHostPort(raw('[2001:db8::7]:3310'))).toEqual({ host: '2001:db8::7', port: 3310 });
    expect(parseHostPort(raw(':80'))).toEqual({ host: '0.0.0.0', port: 80 });
    expect(() => parseHostPort(raw('::1:80'))).toThrow(/X must be HOST:PORT/);
  });

  it('listen addresses: HOST:PORT or unix:/ABSOLUTE/PATH', () => {
    expect(parseListenAddress(raw('127.0.0.1:3310'))).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 3310 });
    expect(parseListenAddress(raw('[::1]:3310'))).toEqual({ kind: 'tcp', host: '::1', port: 3310 });
    expect(parseListenAddress(raw('unix:/run/avfleet/clamd.sock'))).toEqual({ kind: 'unix', path: '/run/avfleet/clamd.sock' });
    expect(() => parseListenAddress(raw('unix:relative.sock'))).toThrow(/X must be HOST:PORT or unix:/);
    expect(() => parseListenAddress(raw('3310'))).toThrow(/X must be HOST:PORT or unix:/);
  });

  it('byte sizes are binary', () => {
    expect(parseByteSize(raw('50M'))).toBe(52428800);
    expect(parseByteSize(raw('50MiB'))).toBe(52428800);
    expect(parseByteSize(raw('512k'))).toBe(524288);
    expect(parseByteSize(raw('2G'))).toBe(2 * 1024 ** 3);
    expect(() => parseByteSize(raw('0'))).toThrow(/positive number of bytes/);
  });

  it('action thresholds accept every threshold action, underscores and negative scores', () => {
    expect(parseActionThresholds(raw('soft_reject=12, rewrite subject=-1'))).toEqual({ 'soft reject': 12, 'rewrite subject': -1 });
    expect(() => parseActionThresholds(raw('no action=0'))).toThrow(/ACTION=SCORE/);
    expect(() => parseActionThresholds(raw('reject'))).toThrow(/ACTION=SCORE/);
  });
});
