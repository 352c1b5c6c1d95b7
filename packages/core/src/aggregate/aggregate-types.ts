import type { ActionName, ActionThresholds, Rule } from '@avfleet/config';
import type { Verdict } from '@avfleet/scanners';

/** Shapes of the aggregation step (docs/semantics.md §7, §8, §11). */

/** A rule's threat-name whitelist (docs/semantics.md §7.3): entries compared case-insensitively, whole string. */
export interface Whitelist {
  hasName(text: string): boolean;
}

/** One verdict of one rule for one body. */
export interface RuleVerdictInput {
  rule: Rule;
  /** Part path (`1`, `2.1`), or null for a whole-message scan. */
  partIndex: string | null;
  filename: string | null;
  verdict: Verdict;
  cached: boolean;
}

export interface SymbolResult {
  name: string;
  /** Configured score × summed weight. */
  score: number;
  /** De-duplicated, in first-seen order; `...` last when truncated. */
  options: string[];
  /** Summed weight of the counted insertions. */
  weight: number;
  /** Number of insertions (all of them, also those past the nshots cap). */
  insertions: number;
  description?: string;
}

export interface AggregateResult {
  action: ActionName;
  score: number;
  /** The reject threshold. */
  requiredScore: number;
  symbols: Record<string, SymbolResult>;
  /** The message of the pre-result that set the action, or null. */
  message: string | null;
  /** Name of the rule whose pre-result set the action, or null. */
  forcedBy: string | null;
}

export interface SymbolScore {
  score: number;
  description?: string;
  /** Caps the counted insertions at 1 (one-shot symbol or group). */
  oneShot?: boolean;
}

export interface AggregateInput {
  rules: readonly Rule[];
  verdicts: readonly RuleVerdictInput[];
  /** AVFLEET_ACTIONS as configured (read through pick-action's thresholdOf / rejectThreshold). */
  thresholds: ActionThresholds;
  /** Scores from `antivirus_group.conf` (and the like), by symbol name. */
  symbolScores: Record<string, SymbolScore>;
  whitelists: ReadonlyMap<string, Whitelist>;
  /** The message's score from earlier filters (the `Score` request header). */
  baseScore?: number;
  /** Rspamd's default nshots: counted insertions per symbol (default 100). */
  maxShots?: number;
  /** Total option bytes per symbol before the rest is cut to `...` (default 4096). */
  maxOptionsBytes?: number;
}

/** A forced action set by a rule ("pre-result", docs/semantics.md §8). */
export interface PreResult {
  action: ActionName;
  message: string;
  /** The rule name. */
  module: string;
  /** true: "at least" this action; false: final. */
  least: boolean;
}
