import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Absolute path of the repository root (the folder holding the root package.json with
 * the npm workspaces), found from this file's location so that a clone in any folder works.
 */
export function repoRoot(): string {
  let dir = resolve(__dirname);
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'packages'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`AVF_ERR_TEST_REPO_ROOT: cannot find the repository root above ${__dirname}; run the tests from a checkout of avfleet`);
    }
    dir = parent;
  }
}

/** `<repo>/.tmp/<parts...>`: scratch space for test services (ignored by git). */
export function repoTmpPath(...parts: string[]): string {
  return join(repoRoot(), '.tmp', ...parts);
}

/** `<repo>/test/fixtures/<parts...>`. */
export function fixturePath(...parts: string[]): string {
  return join(repoRoot(), 'test', 'fixtures', ...parts);
}
