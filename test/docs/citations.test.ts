import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { repoRoot } from '../helpers/repo-root';

/**
 * The repository stands on its own: every Markdown file that a source file,
 * script, configuration or document of the repository cites must be in the
 * repository, and every `§N.M` cited in one of its docs/ pages must be a
 * section of that page.
 *
 * A citation is any `<name>.md` or `<path>/<name>.md` in a file that git
 * tracks (or would track: new files count too), node_modules and dist
 * excluded. It resolves when
 *  - a bare name exists as docs/<name>, at the repository root, or beside
 *    the citing file;
 *  - a path exists relative to the repository root or to the citing file,
 *    inside the repository.
 * Paths into the design notes and corpus that lie beside a checkout (the
 * `shared` folder: `../shared/…`, `shared/spec/…`) never resolve: a clone
 * does not have them. URLs are not checked.
 *
 * A section citation is `§6.5` (or `§1–§2`, `§2, §3`) written after the
 * file name on the same line. It resolves to a numbered heading of that
 * file (`## 6. …`, `### 6.5 …`), or to item M of a numbered list directly
 * under heading N (`§6.5` = item `5.` under `## 6. …`).
 */

const ROOT = repoRoot();

const TEXT_EXTENSIONS = new Set(['.ts', '.tsx', '.js', '.cjs', '.mjs', '.sh', '.bash', '.md', '.yml', '.yaml', '.json', '.conf', '.lua', '.py', '.toml']);
const SKIPPED_SEGMENTS = new Set(['node_modules', 'dist']);
const SKIPPED_FILES = new Set(['package-lock.json']);

/** `<scheme>://…` (skipped) or a run of path characters ending in `.md`. */
const MD_REFERENCE = /(?:[a-z][a-z0-9+.-]*:\/\/)?[\w./-]*\.md\b/gi;
const SECTION = /§\s*(\d+(?:\.\d+)*)/g;
const OUTSIDE_SHARED = /(^|\/)\.\.\/shared\/|(^|\/)shared\/spec\//;

interface Citation {
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

interface Problem extends Citation {
  /** The cited file, as written (for the summary by cited file). */
  readonly cited: string;
  readonly why: string;
}

/** The repository's files: git's list (tracked, or new and not ignored); a plain walk when there is no git checkout. */
function repositoryFiles(): string[] {
  try {
    const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
    return [...new Set(out.split('\0').filter((f) => f.length > 0))];
  } catch {
    const out: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
        const rel = dir === '' ? entry.name : `${dir}/${entry.name}`;
        if (entry.isDirectory()) {
          if (!SKIPPED_SEGMENTS.has(entry.name) && entry.name !== '.git' && entry.name !== '.tmp') walk(rel);
        } else if (entry.isFile()) {
          out.push(rel);
        }
      }
    };
    walk('');
    return out;
  }
}

function listedFiles(): string[] {
  return repositoryFiles().filter((f) => {
    if (f.split('/').some((segment) => SKIPPED_SEGMENTS.has(segment))) return false;
    if (SKIPPED_FILES.has(basename(f))) return false;
    const abs = join(ROOT, f);
    if (!existsSync(abs) || !statSync(abs).isFile()) return false;
    const name = basename(f);
    if (name === 'Dockerfile' || name.endsWith('.Dockerfile')) return true;
    if (TEXT_EXTENSIONS.has(extname(name))) return true;
    // Extensionless scripts (.ci/run): those that start with a shebang.
    return extname(name) === '' && readFileSync(abs, 'utf8').startsWith('#!');
  });
}

/** The repository-relative path a citation resolves to, or why it does not. */
function resolveCitation(citingFile: string, ref: string): { ok: true; target: string } | { ok: false; why: string } {
  if (OUTSIDE_SHARED.test(ref) || isAbsolute(ref)) {
    return { ok: false, why: 'points outside the repository (a clone has no ../shared)' };
  }
  const candidates = ref.includes('/')
    ? [resolve(ROOT, ref), resolve(ROOT, dirname(citingFile), ref)]
    : [join(ROOT, 'docs', ref), join(ROOT, ref), join(ROOT, dirname(citingFile), ref)];
  for (const abs of candidates) {
    const rel = relative(ROOT, abs);
    if (rel.startsWith('..') || isAbsolute(rel)) continue;
    if (existsSync(abs) && statSync(abs).isFile()) return { ok: true, target: rel.split('\\').join('/') };
  }
  return { ok: false, why: 'no such file in the repository' };
}

/** Section numbers a docs page offers: numbered headings, and numbered list items directly under a numbered heading. */
function sectionNumbers(target: string): Set<string> {
  const numbers = new Set<string>();
  let current: string | null = null;
  let inFence = false;
  for (const line of readFileSync(join(ROOT, target), 'utf8').split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    if (inFence) continue;
    const heading = /^#{1,6}\s+(?:§\s*)?(\d+(?:\.\d+)*)\.?[\s)]/.exec(line);
    if (heading) {
      current = heading[1]!;
      numbers.add(current);
      continue;
    }
    if (/^#{1,6}\s/.test(line)) {
      current = null;
      continue;
    }
    const item = /^(\d+)\.\s/.exec(line);
    if (item && current !== null) numbers.add(`${current}.${item[1]!}`);
  }
  return numbers;
}

function check(): { files: number; citations: number; problems: Problem[] } {
  const files = listedFiles();
  const problems: Problem[] = [];
  const sectionCache = new Map<string, Set<string>>();
  let citations = 0;
  for (const file of files) {
    const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
    lines.forEach((text, i) => {
      const refs = [...text.matchAll(MD_REFERENCE)].filter((m) => !m[0].includes('://') && basename(m[0]) !== '.md');
      const reported = new Set<string>();
      refs.forEach((m, k) => {
        citations += 1;
        const ref = m[0].replace(/^\.\/(?=.)/, '');
        const at: Citation = { file, line: i + 1, text: text.trim() };
        const resolved = resolveCitation(file, ref);
        if (!resolved.ok) {
          // A Markdown link names its page twice: one citation.
          if (!reported.has(ref)) problems.push({ ...at, cited: ref, why: resolved.why });
          reported.add(ref);
          return;
        }
        if (!/^docs\/[^/]+\.md$/.test(resolved.target)) return;
        // `§N.M` written after this reference, up to the next reference on the line.
        const from = (m.index ?? 0) + m[0].length;
        const to = k + 1 < refs.length ? (refs[k + 1]!.index ?? text.length) : text.length;
        const cited = [...text.slice(from, to).matchAll(SECTION)].map((s) => s[1]!);
        if (cited.length === 0) return;
        let offered = sectionCache.get(resolved.target);
        if (!offered) {
          offered = sectionNumbers(resolved.target);
          sectionCache.set(resolved.target, offered);
        }
        for (const n of cited) {
          if (!offered.has(n)) problems.push({ ...at, cited: `${resolved.target} §${n}`, why: `${resolved.target} has no section ${n}` });
        }
      });
    });
  }
  return { files: files.length, citations, problems };
}

function report(problems: readonly Problem[]): string {
  const byCited = new Map<string, number>();
  for (const p of problems) {
    const key = p.cited.replace(/ §.*$/, '').replace(/^(?:\.\.\/)+/, '');
    byCited.set(key, (byCited.get(key) ?? 0) + 1);
  }
  const summary = [...byCited.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k, n]) => `  ${String(n).padStart(4)}  ${k}`);
  const lines = problems.map((p) => `  ${p.file}:${p.line}: ${p.cited} — ${p.why}\n      ${p.text.length > 160 ? `${p.text.slice(0, 157)}…` : p.text}`);
  return [
    `${problems.length} citation(s) of Markdown files point at nothing in this repository.`,
    '',
    'What to do: cite the repository\'s own pages as docs/<name>.md (write the missing page in docs/ in',
    'your own words, or point at the page that already says it), cite Rspamd\'s source by file and',
    'function, or drop the reference. Never cite ../shared or shared/spec: a clone does not have them.',
    'A section citation (§N.M) must match a numbered heading of that page (or item M of the numbered',
    'list under heading N).',
    '',
    'By cited file:',
    ...summary,
    '',
    'Each citation:',
    ...lines,
  ].join('\n');
}

describe('citations of Markdown files (the repository stands alone)', () => {
  const result = check();

  it('finds files and citations to check', () => {
    expect(result.files).toBeGreaterThan(50);
    expect(result.citations).toBeGreaterThan(0);
  });

  it('every cited *.md file, and every cited §section of a docs page, is in the repository', () => {
    if (result.problems.length > 0) throw new Error(report(result.problems));
  });
});

describe('citation checker', () => {
  it('resolves bare names through docs/ and refuses the shared folder', () => {
    expect(resolveCitation('packages/x/src/a.ts', 'decisions.md')).toEqual({ ok: true, target: 'docs/decisions.md' });
    expect(resolveCitation('packages/x/src/a.ts', 'README.md')).toEqual({ ok: true, target: 'README.md' });
    expect(resolveCitation('docs/metrics.md', `../README${'.md'}`)).toEqual({ ok: true, target: 'README.md' });
    expect(resolveCitation('README.md', `../shared/spec/decisions${'.md'}`).ok).toBe(false);
    expect(resolveCitation('test/helpers/a.ts', `shared/spec/decisions${'.md'}`).ok).toBe(false);
    expect(resolveCitation('a.ts', `no-such-page-anywhere${'.md'}`).ok).toBe(false);
  });

  it('offers numbered headings and the numbered items under them as sections', () => {
    const offered = sectionNumbers('docs/interfaces.md');
    expect(offered.has('3')).toBe(true);
    expect(offered.has('6.5')).toBe(true);
    expect(offered.has('99')).toBe(false);
  });
});
