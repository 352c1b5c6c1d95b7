import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/repo-root';

/** Every AVF_ERR_/AVF_WARN_ code in the shipped sources, test files excluded. */
function codesInSources(): Set<string> {
  const codes = new Set<string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (name === 'node_modules' || name === 'dist') continue;
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) {
        for (const m of readFileSync(p, 'utf8').matchAll(/'(AVF_(?:ERR|WARN)_[A-Z0-9_]+)'/g)) codes.add(m[1]);
      }
    }
  };
  for (const top of ['packages', 'apps']) {
    for (const pkg of readdirSync(join(repoRoot(), top))) {
      const src = join(repoRoot(), top, pkg, 'src');
      try {
        walk(src);
      } catch {
        // a package without src/
      }
    }
  }
  return codes;
}

describe('docs/errors.md', () => {
  const doc = readFileSync(join(repoRoot(), 'docs', 'errors.md'), 'utf8');
  const documented = new Set([...doc.matchAll(/`(AVF_(?:ERR|WARN)_[A-Z0-9_]+)`/g)].map((m) => m[1]).filter((c) => !c.startsWith('AVF_ERR_TEST_')));
  const used = codesInSources();

  it('lists every code the sources use', () => {
    expect([...used].filter((c) => !documented.has(c)).sort()).toEqual([]);
  });

  it('lists no code the sources no longer use', () => {
    expect([...documented].filter((c) => !used.has(c)).sort()).toEqual([]);
  });
});
