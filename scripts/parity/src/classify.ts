import type { KnownDifference } from './known-differences';
import { formatOutcome, isSideError, sameOutcome, type AvOutcome, type SideResult } from './outcome';

export type Verdict =
  | { readonly kind: 'identical' }
  | { readonly kind: 'explained'; readonly known: KnownDifference }
  | { readonly kind: 'unexplained'; readonly reason: string };

/**
 * Classifies one message. A known difference explains a message only when both live
 * outcomes are exactly the ones recorded for it; a recorded difference that no longer
 * occurs is unexplained too (the entry is stale and must go).
 */
export function classify(rspamd: SideResult, avfleet: SideResult, known: KnownDifference | undefined): Verdict {
  if (isSideError(rspamd) || isSideError(avfleet)) {
    return { kind: 'unexplained', reason: `a side failed: rspamd ${formatOutcome(rspamd)} | avfleet ${formatOutcome(avfleet)}` };
  }
  if (sameOutcome(rspamd, avfleet)) {
    if (known) return { kind: 'unexplained', reason: `listed as differing under ${known.decision}, but both sides now agree: remove the entry from known-differences.json` };
    return { kind: 'identical' };
  }
  if (!known) return { kind: 'unexplained', reason: 'no decision recorded for this message' };
  const misses: string[] = [];
  if (!sameOutcome(rspamd, normalise(known.rspamd))) misses.push(`rspamd expected ${formatOutcome(normalise(known.rspamd))}`);
  if (!sameOutcome(avfleet, normalise(known.avfleet))) misses.push(`avfleet expected ${formatOutcome(normalise(known.avfleet))}`);
  if (misses.length > 0) return { kind: 'unexplained', reason: `recorded under ${known.decision} with other outcomes: ${misses.join('; ')}` };
  return { kind: 'explained', known };
}

/** Sorts the options of a hand-written outcome. */
export function normalise(o: AvOutcome): AvOutcome {
  const symbols: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(o.symbols ?? {})) symbols[k] = [...v].sort();
  return { symbols, action: o.action };
}
