import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launcherNodeFlags } from '../helpers/fleet-processes';
import { repoRoot } from '../helpers/repo-root';

/**
 * The launcher's first line carries the Node flags avfleet runs with (docs/decisions.md D64:
 * the old generation's starting size). They only apply when the file is executed, so the
 * Docker image must execute it, and the fleet tests and the bench pass them to `node`.
 */

const root = repoRoot();
const bin = join(root, 'apps', 'cli', 'bin', 'avfleet.js');

describe('apps/cli/bin/avfleet.js, the launcher', () => {
  it('names the old generation\'s starting size on its first line, as D64 says', () => {
    expect(launcherNodeFlags(bin).some((f) => /^--initial-old-space-size=\d+$/.test(f))).toBe(true);
  });

  it('hands its flags to Node when executed (env -S splits the line)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'avf-launcher-'));
    try {
      const probe = join(dir, 'probe.js');
      const firstLine = readFileSync(bin, 'utf8').split('\n', 1)[0]!;
      writeFileSync(probe, `${firstLine}\nprocess.stdout.write(JSON.stringify(process.execArgv));\n`);
      chmodSync(probe, 0o755);
      const r = spawnSync(probe, [], { encoding: 'utf8' });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      expect(JSON.parse(r.stdout)).toEqual(launcherNodeFlags(bin));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is executed by the Docker image, not run as `node <file>` (which would drop the flags)', () => {
    const entrypoint = /^ENTRYPOINT\s+(.*)$/m.exec(readFileSync(join(root, 'Dockerfile'), 'utf8'))?.[1];
    expect(entrypoint !== undefined ? JSON.parse(entrypoint) : null).toEqual(['/app/apps/cli/bin/avfleet.js']);
  });
});
