/**
 * What the parity run compares for one message and one side: the AV symbols with
 * their options (sorted) and the action. Scores are left out on purpose: Rspamd's
 * scores come from its symbol groups, which the reference rule does not set.
 */
export interface AvOutcome {
  /** Symbol name → sorted options ([] when the symbol has none). */
  readonly symbols: Readonly<Record<string, readonly string[]>>;
  readonly action: string;
}

/** A side could not produce an outcome for a message (timeout, HTTP error, crash). */
export interface SideError {
  readonly error: string;
}

export type SideResult = AvOutcome | SideError;

export function isSideError(r: SideResult): r is SideError {
  return 'error' in r;
}

/** Builds an outcome keeping only the symbols `isAvSymbol` accepts, options sorted and de-duplicated. */
export function makeOutcome(
  symbols: Readonly<Record<string, readonly string[] | undefined>>,
  action: string,
  isAvSymbol: (name: string) => boolean,
): AvOutcome {
  const out: Record<string, string[]> = {};
  for (const name of Object.keys(symbols).sort()) {
    if (!isAvSymbol(name)) continue;
    out[name] = [...new Set(symbols[name] ?? [])].sort();
  }
  return { symbols: out, action };
}

/** Order-independent equality of two outcomes. */
export function sameOutcome(a: AvOutcome, b: AvOutcome): boolean {
  return formatOutcome(a) === formatOutcome(b);
}

/** `reject CLAM_VIRUS(Eicar-Test-Signature.UNOFFICIAL)`, or `no action -` without symbols. */
export function formatOutcome(r: SideResult): string {
  if (isSideError(r)) return `ERROR ${r.error}`;
  const names = Object.keys(r.symbols).sort();
  const syms = names.map((n) => (r.symbols[n].length > 0 ? `${n}(${[...r.symbols[n]].sort().join(', ')})` : n));
  return `${r.action} ${syms.length > 0 ? syms.join(' ') : '-'}`;
}
