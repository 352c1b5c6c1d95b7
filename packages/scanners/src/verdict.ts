/**
 * The one verdict type (docs/interfaces.md §4), used by scanner clients, the verdict
 * cache, job results and the API. A rule that does not run for a message is not
 * a verdict: it is reported under `skipped`.
 */
export type FailReason = 'error' | 'timeout' | 'limits' | 'rate_limit' | 'deadline';

export interface CleanVerdict {
  readonly kind: 'clean';
}
export interface VirusVerdict {
  readonly kind: 'virus';
  /** Threat names exactly as the scanner gave them (at least one). */
  readonly names: readonly string[];
  /** Rspamd's verdict weight, normally 1 (ICAP: default_score). */
  readonly weight?: number;
}
export interface EncryptedVerdict {
  readonly kind: 'encrypted';
  readonly text: string;
}
export interface MacroVerdict {
  readonly kind: 'macro';
  readonly text: string;
}
export interface CategoryVerdict {
  readonly kind: 'category';
  /** Ready category symbol, e.g. VIRUSTOTAL_HIGH. */
  readonly symbol: string;
  /** Its option, e.g. `44d8…b02f:61/68`. */
  readonly option: string;
}
export interface FailVerdict {
  readonly kind: 'fail';
  readonly text: string;
  readonly reason: FailReason;
  /** A few scanner paths insert the fail symbol directly with weight 1 (docs/scanners.md). */
  readonly weight?: number;
}

export type Verdict = CleanVerdict | VirusVerdict | EncryptedVerdict | MacroVerdict | CategoryVerdict | FailVerdict;
export type VerdictKind = Verdict['kind'];

export const VERDICT_KINDS: readonly VerdictKind[] = ['clean', 'virus', 'encrypted', 'macro', 'category', 'fail'];

export const clean = (): CleanVerdict => ({ kind: 'clean' });
export const virus = (names: readonly string[], weight?: number): VirusVerdict =>
  weight === undefined ? { kind: 'virus', names: [...names] } : { kind: 'virus', names: [...names], weight };
export const encrypted = (text: string): EncryptedVerdict => ({ kind: 'encrypted', text });
export const macro = (text: string): MacroVerdict => ({ kind: 'macro', text });
export const category = (symbol: string, option: string): CategoryVerdict => ({ kind: 'category', symbol, option });
export const fail = (text: string, reason: FailReason = 'error', weight?: number): FailVerdict =>
  weight === undefined ? { kind: 'fail', text, reason } : { kind: 'fail', text, reason, weight };

/** Only fail verdicts are never cached (docs/interfaces.md §4). */
export function isCacheable(v: Verdict): boolean {
  return v.kind !== 'fail';
}
