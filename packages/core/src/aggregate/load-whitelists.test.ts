import { mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testRule } from '../../test/test-rule';
import { loadWhitelists } from './load-whitelists';

describe('loadWhitelists', () => {
  let dir: string;
  let file: string;
  let clock: number;
  const logs: { level: string; msg: string; obj: object }[] = [];
  const logger = {
    info: (obj: object, msg: string) => logs.push({ level: 'info', msg, obj }),
    warn: (obj: object, msg: string) => logs.push({ level: 'warn', msg, obj }),
  };
  const touch = (path: string, secondsAgo: number): void => {
    const t = new Date(Date.now() - secondsAgo * 1000);
    utimesSync(path, t, t);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'avf-wl-'));
    file = join(dir, 'whitelist.map');
    writeFileSync(file, 'Eicar-Test-Signature\n10.0.0.0/8\n');
    touch(file, 100);
    clock = 1_000_000;
    logs.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const load = (interval = 5000) =>
    loadWhitelists([testRule({ whitelist: file }), testRule({ name: 'other' })], { logger, checkIntervalMs: interval, now: () => clock });

  it('reads names and IP ranges of rules that have a whitelist, and only those', () => {
    const wl = load();
    expect(wl.names.get('clamav')?.hasName('EICAR-TEST-SIGNATURE')).toBe(true);
    expect(wl.ips.get('clamav')?.containsIp('10.1.2.3')).toBe(true);
    expect(wl.ips.get('clamav')?.containsIp('192.0.2.1')).toBe(false);
    expect(wl.names.has('other')).toBe(false);
  });

  it('refuses to start when a map cannot be read, naming the rule', () => {
    expect(() => loadWhitelists([testRule({ whitelist: join(dir, 'missing.map') })])).toThrow(/rule 'clamav': cannot read whitelist/);
  });

  it('re-reads a changed file on access, but not more often than the check interval', () => {
    const wl = load(5000);
    const names = wl.names.get('clamav');
    writeFileSync(file, 'Other.Signature\n');
    touch(file, 10);
    clock += 4000;
    expect(names?.hasName('Eicar-Test-Signature')).toBe(true); // within the interval: old map
    clock += 1001;
    expect(names?.hasName('Eicar-Test-Signature')).toBe(false);
    expect(names?.hasName('other.signature')).toBe(true);
    expect(wl.ips.get('clamav')?.containsIp('10.1.2.3')).toBe(false); // the IP half follows the same file
    expect(logs).toEqual([expect.objectContaining({ level: 'info', msg: 'whitelist reloaded' })]);
  });

  it('picks up an atomically replaced file (rename over it) even with an older mtime', () => {
    const wl = load(0);
    const next = join(dir, 'next.map');
    writeFileSync(next, '192.0.2.0/24\n');
    touch(next, 200);
    renameSync(next, file);
    expect(wl.ips.get('clamav')?.containsIp('192.0.2.9')).toBe(true);
    expect(wl.names.get('clamav')?.hasName('Eicar-Test-Signature')).toBe(false);
  });

  it('keeps the last good map when the file disappears or cannot be read, logs once, and recovers', () => {
    const wl = load(0);
    const names = wl.names.get('clamav');
    rmSync(file);
    expect(names?.hasName('Eicar-Test-Signature')).toBe(true);
    expect(names?.hasName('Eicar-Test-Signature')).toBe(true);
    expect(logs.filter((l) => l.level === 'warn')).toEqual([
      expect.objectContaining({ msg: 'cannot re-read whitelist; keeping the last good version', obj: expect.objectContaining({ rule: 'clamav' }) }),
    ]);
    writeFileSync(file, 'Back.Again\n');
    expect(names?.hasName('back.again')).toBe(true);
    expect(names?.hasName('Eicar-Test-Signature')).toBe(false);
  });

  it('does not re-read an unchanged file', () => {
    const wl = load(0);
    for (let i = 0; i < 5; i++) wl.names.get('clamav')?.hasName('x');
    expect(logs).toEqual([]);
  });
});
