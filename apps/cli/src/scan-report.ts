import type { ScanResult } from '@avfleet/core';

export type ScanOutcome =
  | { readonly label: string; readonly ok: true; readonly result: ScanResult }
  | { readonly label: string; readonly ok: false; readonly error: string };

/** docs/interfaces.md §1: 0 no AV symbol; 1 a virus, encrypted, macro or positive category symbol; 2 an error or a fail verdict. */
export function exitStatus(outcomes: readonly ScanOutcome[]): number {
  let status = 0;
  for (const o of outcomes) {
    if (!o.ok || hasFail(o.result)) return 2;
    if (hasPositiveSymbol(o.result)) status = 1;
  }
  return status;
}

function allVerdicts(r: ScanResult) {
  return [...r.parts.flatMap((p) => Object.values(p.verdicts)), ...Object.values(r.message_verdicts ?? {})];
}

function hasFail(r: ScanResult): boolean {
  return allVerdicts(r).some((v) => v.kind === 'fail');
}

function hasPositiveSymbol(r: ScanResult): boolean {
  const positive = allVerdicts(r).some((v) => v.kind === 'virus' || v.kind === 'encrypted' || v.kind === 'macro' || (v.kind === 'category' && !/_CLEAN$/.test(v.symbol)));
  return positive && Object.keys(r.symbols).some((s) => !/_CLEAN$/.test(s));
}

/** One line per message: label, action, symbols with their options. */
export function formatTableLine(o: ScanOutcome): string {
  if (!o.ok) return `${o.label}\tERROR\t${o.error}`;
  const syms = Object.values(o.result.symbols)
    .map((s) => (s.options && s.options.length > 0 ? `${s.name}(${s.options.join(', ')})` : s.name))
    .join(' ');
  const skipped = Object.entries(o.result.skipped).map(([r, why]) => `${r}:${why}`).join(' ');
  return `${o.label}\t${o.result.action}\t${syms || '-'}${skipped ? `\tskipped ${skipped}` : ''}`;
}
