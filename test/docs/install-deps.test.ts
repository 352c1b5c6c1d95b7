import { spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/repo-root';

/**
 * scripts/install-deps.sh is the one list of what a scan and the tests need: the
 * README's two commands (scripts/quickstart.sh, scripts/run-tests.sh) and .ci/run
 * all install through it. Its package step is run here against stand-in
 * `dpkg-query` and `id` commands (nothing is installed).
 */

const root = repoRoot();
const read = (rel: string): string => readFileSync(join(root, rel), 'utf8');
const script = join(root, 'scripts', 'install-deps.sh');

function run(args: string[], shims: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'avf-install-deps-'));
  try {
    for (const [name, body] of Object.entries(shims)) {
      writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(dir, name), 0o755);
    }
    const r = spawnSync('bash', [script, ...args], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const listed = (profile: string): string[] => run(['--list', profile]).stdout.trim().split('\n');

describe('scripts/install-deps.sh', () => {
  it('is what the README\'s two commands and .ci/run install through', () => {
    for (const rel of ['scripts/install-deps.sh', 'scripts/quickstart.sh', 'scripts/run-tests.sh']) accessSync(join(root, rel), constants.X_OK);
    expect(read('scripts/quickstart.sh')).toMatch(/^bash scripts\/install-deps\.sh scan$/m);
    expect(read('scripts/run-tests.sh')).toMatch(/^bash scripts\/install-deps\.sh test$/m);
    const ci = read('.ci/run');
    expect(ci).toMatch(/^bash scripts\/install-deps\.sh test --only packages$/m);
    expect(ci).toMatch(/^bash scripts\/install-deps\.sh test --only redis$/m);
    // No second list of packages: only install-deps.sh runs apt-get.
    for (const rel of ['.ci/run', 'scripts/quickstart.sh', 'scripts/run-tests.sh', 'scripts/ensure-clamd.sh']) expect({ rel, aptGet: /apt-get install\b/.test(read(rel).replace(/^\s*#.*$/gm, '').replace(/echo .*$/gm, '')) }).toEqual({ rel, aptGet: false });
  });

  it('lists for the tests everything a scan needs plus the services the integration tests run', () => {
    const scan = listed('scan');
    const test = listed('test');
    expect(scan).toEqual(expect.arrayContaining(['clamav-daemon', 'redis-server']));
    expect(test).toEqual(expect.arrayContaining([...scan, 'c-icap', 'libc-icap-mod-virus-scan', 'rspamd', 'prometheus']));
  });

  it('not root with packages missing: names them and the command to install them, exit 1, installs nothing', () => {
    const r = run(['test', '--only', 'packages'], {
      'dpkg-query': 'printf "unknown ok not-installed"',
      id: 'echo 1000',
      'apt-get': 'echo "apt-get must not run" >&2; exit 3',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`missing Debian packages: ${listed('test').join(' ')}`);
    expect(r.stderr).toContain(`sudo ${script} test --only packages`);
    expect(r.stderr).not.toContain('apt-get must not run');
  });

  it('everything present: says so and changes nothing, even when not root', () => {
    const r = run(['scan', '--only', 'packages'], { 'dpkg-query': 'printf "install ok installed"', id: 'echo 1000', 'apt-get': 'exit 3' });
    expect(r).toMatchObject({ status: 0, stdout: `avfleet: Debian packages present: ${listed('scan').join(' ')}\n` });
  });

  it('refuses an unknown profile or step with exit status 2', () => {
    expect(run(['all']).status).toBe(2);
    expect(run(['scan', '--only', 'everything']).status).toBe(2);
  });
});
