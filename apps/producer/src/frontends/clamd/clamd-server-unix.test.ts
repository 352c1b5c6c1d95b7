import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InflightBudget, NOOP_LOGGER } from '@avfleet/core';
import { DEFAULT_CLAMD_LIMITS, type ClamdDeps } from './clamd-deps';
import { ClamdListenError, startClamdServer } from './clamd-server';
import { eicarAware } from '../../../test/clamd/test-clamd-harness';

const deps: ClamdDeps = {
  submitter: eicarAware(), logger: NOOP_LOGGER, deadlineSec: 4, versionLine: 'avfleet 9.9.9', inflight: new InflightBudget(4096), limits: { ...DEFAULT_CLAMD_LIMITS, maxStreamBytes: 1024 },
};

function ping(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    const got: Buffer[] = [];
    s.on('connect', () => s.write('zPING\0'));
    s.on('data', (d: Buffer) => got.push(d));
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(got).toString('latin1')));
  });
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'avf-clamd-unix-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('--clamd-listen unix:PATH', () => {
  it('serves on the socket and removes it on close', async () => {
    const path = join(dir, 'clamd.sock');
    const server = await startClamdServer({ kind: 'unix', path }, deps);
    expect(await ping(path)).toBe('PONG\0');
    await server.close();
    expect(existsSync(path)).toBe(false);
  });

  it('takes over a stale socket file, but not one that something answers on', async () => {
    const path = join(dir, 'clamd.sock');
    // A live listener: refused with AVF_ERR_CLAMD_LISTEN.
    const other = createServer((s) => s.destroy());
    await new Promise<void>((r) => other.listen(path, () => r()));
    other.unref();
    const err = await startClamdServer({ kind: 'unix', path }, deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClamdListenError);
    expect((err as ClamdListenError).code).toBe('AVF_ERR_CLAMD_LISTEN');
    expect((err as Error).message).toMatch(/--clamd-listen/);
    // Left behind by a crash: a process that listened there was killed; the file stays, nobody answers.
    const stalePath = join(dir, 'stale.sock');
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stalePath)}, () => console.log('up'))`]);
    await new Promise<void>((r) => child.stdout.once('data', () => r()));
    child.kill('SIGKILL');
    await new Promise<void>((r) => child.once('exit', () => r()));
    expect(existsSync(stalePath)).toBe(true);
    const server = await startClamdServer({ kind: 'unix', path: stalePath }, deps);
    expect(await ping(stalePath)).toBe('PONG\0');
    await server.close();
  });
});
