import { createHash } from 'node:crypto';
import type { CompiledPattern, Rule } from './rule';
import type { SymbolScore } from './symbol-scores';

/** A compiled pattern as JSON: the configured text, the JS translation and its flags. */
function patternToJson(p: CompiledPattern): Record<string, unknown> {
  return { name: p.name, source: p.source, js: p.regex.source, flags: p.regex.flags, whole_text: p.wholeText };
}

/** One rule as JSON (regexes as strings); `withSource` adds where the block starts. */
export function ruleToJson(rule: Rule, withSource = true): Record<string, unknown> {
  const { source, patterns, patternsFail, filters, ...rest } = rule;
  const out: Record<string, unknown> = {
    ...rest,
    filters: filters ? { regex: filters.regex.map(patternToJson), ext: [...filters.ext] } : null,
    patterns: patterns.map(patternToJson),
    patternsFail: patternsFail.map(patternToJson),
  };
  if (withSource) out['source'] = source;
  return out;
}

/** JSON with object keys sorted, so the digest does not depend on insertion order. */
function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableStringify(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * sha256 hex of the effective rules and symbol scores (jobs carry it;
 * docs/interfaces.md §1). Positions are left out, so editing comments or moving a
 * block does not change it.
 */
export function configDigest(rules: readonly Rule[], symbolScores: Record<string, SymbolScore>): string {
  const view = { rules: rules.map((r) => ruleToJson(r, false)), symbolScores };
  return createHash('sha256').update(stableStringify(view)).digest('hex');
}
