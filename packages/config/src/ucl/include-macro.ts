import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../errors';
import type { SourcePosition } from '../source-position';
import type { DuplicateStrategy, UclObject, UclValue } from './ucl-value';

/** Parameters of `.include(…)`, validated. */
export interface IncludeParams {
  readonly try: boolean;
  readonly priority: number;
  readonly duplicate: DuplicateStrategy;
  readonly glob: boolean;
  readonly prefix: boolean;
  readonly key: string | null;
  readonly target: 'object' | 'array';
}

const STRATEGIES: readonly DuplicateStrategy[] = ['append', 'merge', 'rewrite', 'error'];

function asBool(v: UclValue | undefined): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return ['true', 'yes', 'on', '1'].includes(v.toLowerCase());
  return false;
}

/** Reads the parenthesised parameter object of an include macro. Unknown parameters are ignored, like libucl. */
export function readIncludeParams(args: UclObject | null, tryDefault: boolean, pos: SourcePosition): IncludeParams {
  const a = args ?? {};
  const fail = (msg: string): never => {
    throw new ConfigError('AVF_ERR_CONFIG_INCLUDE', msg, pos);
  };
  if (a.sign !== undefined && asBool(a.sign)) {
    fail('signed includes (.include(sign=true)) are not supported; remove "sign" or verify the file outside avfleet');
  }
  let priority = 0;
  if (a.priority !== undefined) {
    const p = a.priority;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0) fail('include priority must be an integer from 0 to 15');
    priority = (p as number) & 0xf; // libucl keeps 4 bits
  }
  let duplicate: DuplicateStrategy = 'append';
  if (a.duplicate !== undefined) {
    const d = String(a.duplicate).toLowerCase();
    if (!STRATEGIES.includes(d as DuplicateStrategy)) fail(`unknown include duplicate strategy "${String(a.duplicate)}"; use append, merge, rewrite or error`);
    duplicate = d as DuplicateStrategy;
  }
  const target = a.target === undefined ? 'object' : String(a.target).toLowerCase();
  if (target !== 'object' && target !== 'array') fail(`include target must be "object" or "array", not "${target}"`);
  return {
    try: a.try === undefined ? tryDefault : asBool(a.try),
    priority,
    duplicate,
    glob: asBool(a.glob),
    prefix: asBool(a.prefix),
    key: typeof a.key === 'string' ? a.key : null,
    target: target as 'object' | 'array',
  };
}

function globToRegExp(segment: string): RegExp {
  let re = '';
  for (const ch of segment) {
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Expands `*`, `?` and `[…]` in an absolute path, sorted like glob(3). */
export function expandGlob(pattern: string): string[] {
  const parts = pattern.split('/');
  let bases = [parts[0] === '' ? '/' : parts[0] as string];
  for (const part of parts.slice(1)) {
    if (part === '') continue;
    const next: string[] = [];
    for (const base of bases) {
      if (!/[*?[]/.test(part)) {
        next.push(path.join(base, part));
        continue;
      }
      let names: string[] = [];
      try {
        names = fs.readdirSync(base);
      } catch {
        continue;
      }
      const re = globToRegExp(part);
      for (const n of names.sort()) if (re.test(n) && !n.startsWith('.')) next.push(path.join(base, n));
    }
    bases = next;
  }
  return bases.filter((p) => fs.existsSync(p)).sort();
}

/**
 * Resolves an include path. Deliberate difference from libucl: a relative path
 * is taken relative to the including file's directory ($CURDIR), not the
 * process working directory.
 */
export function resolveIncludePath(includePath: string, curdir: string): string {
  return path.resolve(curdir, includePath);
}
