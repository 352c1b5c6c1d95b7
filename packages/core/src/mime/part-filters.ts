import { patternMatches, type CompiledPattern } from '@avfleet/config';

/** Rspamd's matching rule (docs/semantics.md §7.2), the one the symbol patterns use too. */
export { patternMatches };

/**
 * docs/semantics.md §3.3: split on every `.`; e1 = last piece (lower-cased) when
 * there are at least 2 pieces, e2 = second-to-last when at least 3.
 * `Invoice.PDF.exe` → [`exe`, `pdf`]; `noext` → [null, null]; `file.` → [``, null].
 */
export function extensions(name: string): [string | null, string | null] {
  const pieces = name.split('.');
  const e1 = pieces.length >= 2 ? pieces[pieces.length - 1].toLowerCase() : null;
  const e2 = pieces.length >= 3 ? pieces[pieces.length - 2].toLowerCase() : null;
  return [e1, e2];
}

/** The rule's filters: plain-string extension values and compiled regexes. */
export interface PartFilters {
  readonly regex: readonly CompiledPattern[];
  readonly ext: readonly string[];
}

/** Extension filter: exact, case-sensitive equality with either candidate (an empty candidate counts too). */
export function extFilterMatches(filters: PartFilters, candidates: readonly (string | null)[]): boolean {
  return candidates.some((c) => c !== null && filters.ext.includes(c));
}

export function regexFilterMatches(filters: PartFilters, text: string): boolean {
  return filters.regex.some((p) => patternMatches(p, text));
}
