import { firstMatch, type CompiledPattern } from '@avfleet/config';

/**
 * `patterns` / `patterns_fail` matching (docs/semantics.md §7.2): the first entry in
 * configuration order whose regex matches decides, and its name is the symbol.
 * Matching is a search (not anchored); an `m{…}` entry must cover the whole
 * text. An empty text never matches. Returns null when nothing matches.
 * One matching rule for patterns and part filters: config's patternMatches.
 */
export function matchPattern(patterns: readonly CompiledPattern[], text: string): string | null {
  return firstMatch(patterns, text)?.name ?? null;
}
