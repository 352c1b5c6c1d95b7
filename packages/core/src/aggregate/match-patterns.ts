import type { CompiledPattern } from '@avfleet/config';

/**
 * `patterns` / `patterns_fail` matching (semantics.md §7.2): the first entry in
 * configuration order whose regex matches decides, and its name is the symbol.
 * Matching is a search (not anchored); an `m{…}` entry must cover the whole
 * text. An empty text never matches. Returns null when nothing matches.
 */
export function matchPattern(patterns: readonly CompiledPattern[], text: string): string | null {
  if (text === '') return null;
  for (const pattern of patterns) {
    if (matches(pattern, text)) return pattern.name;
  }
  return null;
}

function matches(pattern: CompiledPattern, text: string): boolean {
  const re = pattern.regex;
  // A `g`/`y` regex carries state between calls; start every test afresh.
  re.lastIndex = 0;
  const m = re.exec(text);
  re.lastIndex = 0;
  if (m === null) return false;
  if (!pattern.wholeText) return true;
  return m.index === 0 && m[0].length === text.length;
}
