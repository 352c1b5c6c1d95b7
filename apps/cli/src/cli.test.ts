import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './cli';
import type { CliIo } from './command-args';

interface Captured {
  io: CliIo;
  out: () => string;
  err: () => string;
}

function capture(env: NodeJS.ProcessEnv = {}): Captured {
  let out = '';
  let err = '';
  return {
    io: { stdout: (t) => void (out += t), stderr: (t) => void (err += t), env, cwd: process.cwd(), isTTY: false },
    out: () => out,
    err: () => err,
  };
}

async function run(...argv: string[]) {
  const c = capture();
  const code = await main(argv, c.io);
  return { code, out: c.out(), err: c.err() };
}

describe('avfleet dispatch', () => {
  it('--help lists every command on stdout, exit 0', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    for (const cmd of ['scan', 'producer', 'worker', 'config check', 'config dump', 'store prune']) expect(r.out).toContain(`  ${cmd} `);
    expect((await run('help')).out).toBe(r.out);
  });

  it('no command prints the help on stderr, exit 2', async () => {
    const r = await run();
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^Usage: avfleet COMMAND/);
  });

  it('--version prints the package version', async () => {
    const r = await run('--version');
    expect(r).toEqual({ code: 0, out: 'avfleet 0.1.0\n', err: '' });
  });

  it('unknown commands exit 2 with a hint', async () => {
    expect(await run('scna')).toEqual({ code: 2, out: '', err: "avfleet: unknown command 'scna'; run 'avfleet --help' for the list\n" });
    expect((await run('config', 'chek', 'x')).err).toMatch(/unknown command 'config chek'/);
    expect((await run('help', 'nope')).code).toBe(2);
  });

  it('a group word alone shows its commands', async () => {
    const r = await run('config');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/avfleet config check \[--lenient\] PATH/);
    expect(r.err).toMatch(/avfleet config dump \[--raw\] \[--lenient\] PATH/);
    expect((await run('config', '--help')).code).toBe(0);
  });

  it('each command has --help listing its flags and settings', async () => {
    const worker = await run('worker', '--help');
    expect(worker.code).toBe(0);
    expect(worker.out).toMatch(/^Usage: avfleet worker/);
    expect(worker.out).toContain('--queues LIST');
    expect(worker.out).toContain('[AVFLEET_QUEUES; default: every rule and aggregate]');
    expect(worker.out).toContain('AVFLEET_UPSTREAM_MAX_ERRORS');
    expect(worker.out).not.toContain('--listen ');
    const producer = await run('help', 'producer');
    expect(producer.out).toContain('--listen HOST:PORT');
    expect(producer.out).toContain('AVFLEET_API_TOKEN');
    const scan = await run('scan', '-h');
    expect(scan.out).toContain('--url URL');
    expect(scan.out).toContain('--json');
    const dump = await run('config', 'dump', '--help');
    expect(dump.out).toContain('--raw');
    expect(dump.out).toContain('--lenient');
    expect(dump.out).toContain('[AVFLEET_LENIENT_CONFIG; default: false]');
    expect((await run('store', 'prune', '--help')).out).toContain('--older-than DURATION');
  });

  it('scan of a missing file exits 2 naming it; producer and worker refuse to start without a usable config', async () => {
    const scan = await run('scan', '/nonexistent/a.eml', '--json');
    expect(scan.code).toBe(2);
    expect(scan.err).toMatch(/avfleet scan: .*\/nonexistent\/a\.eml/);
    const producer = await run('producer');
    expect(producer.code).toBe(2);
    expect(producer.err).toMatch(/needs --config PATH \(or AVFLEET_CONFIG\)/);
    const worker = await run('worker', '--config', '/nonexistent/antivirus.conf');
    expect(worker.code).toBe(2);
    expect(worker.err).toMatch(/\/nonexistent\/antivirus\.conf/);
  });

  it('flag errors exit 2 naming the command', async () => {
    const r = await run('worker', '--queue', 'clamav');
    expect(r.code).toBe(2);
    expect(r.err).toBe("avfleet: unknown flag --queue for 'avfleet worker' (did you mean --queues?); see 'avfleet worker --help'\n");
    expect((await run('config', 'check', '--raw', 'x')).err).toMatch(/unknown flag --raw for 'avfleet config check'/);
  });

  it('store prune checks --older-than', async () => {
    expect((await run('store', 'prune')).err).toMatch(/needs --older-than DURATION/);
    expect((await run('store', 'prune', '--older-than', 'week')).err).toMatch(/got 'week'/);
    const dir = mkdtempSync(join(tmpdir(), 'avf-prune-'));
    // It keeps what scans in progress need, so it reads the fleet's Redis first and refuses to guess without it.
    const pruned = await run('store', 'prune', '--older-than', '7d', '--store', dir, '--redis', 'redis://127.0.0.1:1/0');
    expect(pruned.code).toBe(1);
    expect(pruned.err).toMatch(/cannot read the scans in progress from Redis .*check AVFLEET_REDIS_URL/);
  });

  it('config check/dump need exactly one PATH', async () => {
    const r = await run('config', 'check');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/avfleet config check takes exactly one PATH/);
    expect((await run('config', 'dump', 'a', 'b')).err).toMatch(/takes exactly one PATH \(antivirus.conf\), got 2/);
  });
});
