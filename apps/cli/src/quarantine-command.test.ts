import type { CommandArgs } from './command-args';
import { runQuarantine } from './quarantine-command';
import { UsageError } from './usage-error';

function args(positionals: string[], env: NodeJS.ProcessEnv = { AVFLEET_ADMIN_TOKEN: 't' }): CommandArgs {
  return { flags: { url: 'http://127.0.0.1:1' }, positionals, io: { stdout: () => undefined, stderr: () => undefined, env, cwd: '/', isTTY: false } };
}

describe('avfleet quarantine', () => {
  it('refuses a wrong command line before calling the producer', async () => {
    await expect(runQuarantine(args([]))).rejects.toBeInstanceOf(UsageError);
    await expect(runQuarantine(args(['purge']))).rejects.toThrow(/list, show, raw, release, delete/);
    await expect(runQuarantine(args(['show']))).rejects.toThrow(/needs an entry ID/);
    await expect(runQuarantine(args(['list', 'extra']))).rejects.toThrow(/unexpected argument 'extra'/);
    await expect(runQuarantine(args(['delete', 'ID', 'more']))).rejects.toThrow(/unexpected argument 'more'/);
  });

  it('says which producer it cannot reach, and exits 1', async () => {
    const err: string[] = [];
    const a = args(['list']);
    jest.spyOn(globalThis, 'fetch').mockRejectedValueOnce(Object.assign(new TypeError('fetch failed'), { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') }));
    const code = await runQuarantine({ ...a, io: { ...a.io, stderr: (t) => void err.push(t) } });
    expect(code).toBe(1);
    expect(err.join('')).toMatch(/cannot reach the producer at http:\/\/127\.0\.0\.1:1 \(.*ECONNREFUSED/);
  });

  it('needs the admin token', async () => {
    await expect(runQuarantine(args(['list'], {}))).rejects.toThrow(/AVFLEET_ADMIN_TOKEN/);
  });
});
