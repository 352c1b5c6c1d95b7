import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InflightBudget, NOOP_LOGGER } from '@avfleet/core';
import { FakeSubmitter, done, resultOf } from '../../../test/milter/fake-submitter';
import { MilterError } from './milter-error';
import { startMilterServer, type RunningMilter } from './milter-server';
import { mta } from '../../../test/milter/test-mta';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'avfleet-milter-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const start = (path: string): Promise<RunningMilter> =>
  startMilterServer({
    listen: { kind: 'unix', path }, maxConnections: 5, submitter: new FakeSubmitter(() => done(resultOf('no action', null))),
    logger: NOOP_LOGGER, inflight: new InflightBudget(2 ** 30), maxMessageBytes: 4096, deadlineSec: 5, addHeaders: true,
  });

const codeOf = async (p: Promise<unknown>): Promise<string | undefined> =>
  p.then(
    () => undefined,
    (err: unknown) => (err instanceof MilterError ? err.code : String(err)),
  );

/** Negotiates over the unix socket and returns the milter's first reply command. */
function negotiateOver(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    s.once('data', (d: Buffer) => (s.destroy(), resolve(d.toString('latin1', 4, 5))));
    s.once('error', reject);
    s.write(mta.optneg());
  });
}

describe('the milter on a unix socket (--milter-listen unix:PATH)', () => {
  it('listens with a socket the MTA user can write to, answers, and removes the socket on stop', async () => {
    const path = join(dir, 'milter.sock');
    const m = await start(path);
    expect(m.endpoint).toBe(`unix:${path}`);
    expect(m.port).toBeNull();
    expect(statSync(path).mode & 0o777).toBe(0o666);
    expect(await negotiateOver(path)).toBe('O');
    await m.close();
    expect(existsSync(path)).toBe(false);
  });

  it('replaces a socket file left by a process that is gone', async () => {
    const path = join(dir, 'stale.sock');
    // A process that binds the socket and exits without removing it.
    const r = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    expect(r.signal).toBe('SIGKILL');
    expect(statSync(path).isSocket()).toBe(true);
    const m = await start(path);
    expect(await negotiateOver(path)).toBe('O');
    await m.close();
  });

  it('refuses a path another process serves, or that is not a socket, with AVF_ERR_MILTER_LISTEN', async () => {
    const live = join(dir, 'live.sock');
    const other: Server = createServer();
    await new Promise<void>((resolve) => other.listen(live, resolve));
    expect(await codeOf(start(live))).toBe('AVF_ERR_MILTER_LISTEN');
    await new Promise<void>((resolve) => other.close(() => resolve()));
    const file = join(dir, 'file');
    writeFileSync(file, 'not a socket');
    expect(await codeOf(start(file))).toBe('AVF_ERR_MILTER_LISTEN');
  });

  it('refuses a TCP address in use with AVF_ERR_MILTER_LISTEN', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    const code = await codeOf(
      startMilterServer({ listen: { kind: 'tcp', host: '127.0.0.1', port }, maxConnections: 5, submitter: new FakeSubmitter(() => done(resultOf('no action', null))), logger: NOOP_LOGGER, inflight: new InflightBudget(2 ** 30), maxMessageBytes: 4096, deadlineSec: 5, addHeaders: true }),
    );
    await new Promise<void>((resolve) => taken.close(() => resolve()));
    expect(code).toBe('AVF_ERR_MILTER_LISTEN');
  });
});
