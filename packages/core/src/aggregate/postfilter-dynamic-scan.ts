import type { Rule } from '@avfleet/config';
import { aggregateScan } from './aggregate-scan';
import type { AggregateInput, RuleVerdictInput } from './aggregate-types';
import { rejectThreshold } from './pick-action';

/**
 * `dynamic_scan` for rules with `symbol_type = "postfilter"` (docs/semantics.md §4,
 * §9): such a rule runs after the normal checks, so besides the incoming
 * `Score` it also sees what the normal antivirus rules of this message scored
 * and forced. When that already exceeds twice the reject threshold, or a normal
 * rule forced `reject`, the postfilter rule is skipped (`dynamic_scan`): its
 * verdicts are dropped and it produces no symbol. (The producer already
 * applied the `Score`-only gate before enqueueing.)
 */
export function postfilterRulesToSkip(
  base: Omit<AggregateInput, 'rules' | 'verdicts'>, rules: readonly Rule[], verdicts: readonly RuleVerdictInput[], incomingScore: number | null,
): Set<string> {
  const candidates = rules.filter((r) => r.symbolType === 'postfilter' && r.dynamicScan && r.action !== 'reject');
  if (candidates.length === 0) return new Set();
  const normalRules = rules.filter((r) => r.symbolType !== 'postfilter');
  const stage = aggregateScan({ ...base, rules: normalRules, verdicts: verdicts.filter((v) => v.rule.symbolType !== 'postfilter') });
  const score = (incomingScore ?? 0) + stage.score;
  const forcedReject = stage.forcedBy !== null && stage.action === 'reject';
  return score > 2 * rejectThreshold(base.thresholds) || forcedReject ? new Set(candidates.map((r) => r.name)) : new Set();
}
