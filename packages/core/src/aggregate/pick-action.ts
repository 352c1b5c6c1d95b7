import type { ActionName, ActionThresholds } from '@avfleet/config';
import type { PreResult } from './aggregate-types';

/**
 * The message's action from the forced actions ("pre-results") and the score
 * (docs/semantics.md §8), deterministic:
 *
 * 1. the first final pre-result (in rule order, then part order) is the
 *    result, with its message; the score is not changed;
 * 2. otherwise the strongest "at least" pre-result (the first of equals) is a
 *    floor: the score-based action wins only when its threshold is higher than
 *    the floor's; else the floor is the result, with its message, and the
 *    score is raised to the floor's threshold. A floor without a threshold
 *    (`soft reject`) is applied unless the score already gives `reject`, and
 *    the score is not changed;
 * 3. without pre-results, the score-based action.
 */

/** Rspamd's strength order, weakest first. */
const STRENGTH: readonly ActionName[] = ['no action', 'greylist', 'add header', 'rewrite subject', 'soft reject', 'reject'];

export interface PickedAction {
  action: ActionName;
  score: number;
  message: string | null;
  /** Rule (module) name of the deciding pre-result, or null when the score decided. */
  forcedBy: string | null;
}

export function actionStrength(action: ActionName): number {
  return STRENGTH.indexOf(action);
}

/**
 * Threshold of an action, or undefined when it has none (soft reject, no
 * action, unset rewrite subject). reject, add header and greylist left out of
 * AVFLEET_ACTIONS count as +∞: never reached by score, and a forced "at
 * least" floor of that action raises the score to +∞.
 */
export function thresholdOf(action: ActionName, thresholds: ActionThresholds): number | undefined {
  if (action === 'soft reject' || action === 'no action') return undefined;
  const t = thresholds[action];
  if (t === undefined) return action === 'rewrite subject' ? undefined : Number.POSITIVE_INFINITY;
  return Number.isNaN(t) ? undefined : t;
}

/** The reject threshold, +∞ when not set: a result's `required_score` and the dynamic-scan gate (twice it). */
export function rejectThreshold(thresholds: ActionThresholds): number {
  return thresholds.reject ?? Number.POSITIVE_INFINITY;
}

/** The action the score alone gives: the one with the highest threshold ≤ score. */
export function scoreAction(score: number, thresholds: ActionThresholds): { action: ActionName; threshold: number | undefined } {
  let best: { action: ActionName; threshold: number | undefined } = { action: 'no action', threshold: undefined };
  for (const action of ['greylist', 'add header', 'rewrite subject', 'reject'] as const) {
    const t = thresholdOf(action, thresholds);
    if (t === undefined || score < t) continue;
    if (best.threshold === undefined || t > best.threshold) best = { action, threshold: t };
  }
  return best;
}

export function pickAction(preResults: readonly PreResult[], score: number, thresholds: ActionThresholds): PickedAction {
  const final = preResults.find((p) => !p.least);
  if (final !== undefined) {
    return { action: final.action, score, message: final.message, forcedBy: final.module };
  }
  const byScore = scoreAction(score, thresholds);
  const scored: PickedAction = { action: byScore.action, score, message: null, forcedBy: null };
  let floor: PreResult | undefined;
  for (const p of preResults) {
    if (floor === undefined || actionStrength(p.action) > actionStrength(floor.action)) floor = p;
  }
  if (floor === undefined || floor.action === 'no action') return scored;
  const forced: PickedAction = { action: floor.action, score, message: floor.message, forcedBy: floor.module };
  const floorThreshold = thresholdOf(floor.action, thresholds);
  if (floorThreshold === undefined) {
    return byScore.action === 'reject' ? scored : forced;
  }
  if (byScore.threshold !== undefined && byScore.threshold > floorThreshold) return scored;
  return { ...forced, score: Math.max(score, floorThreshold) };
}
