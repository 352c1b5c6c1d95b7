import type { Rule } from '@avfleet/config';
import { isHashService } from '@avfleet/scanners';
import type {
  AggregateInput,
  AggregateResult,
  PreResult,
  RuleVerdictInput,
  SymbolResult,
  SymbolScore,
} from './aggregate-types';
import { pickAction, rejectThreshold } from './pick-action';
import { messageVars, renderMessage } from './render-message';
import { SymbolTable } from './symbol-table';
import { verdictToSymbols } from './verdicts-to-symbols';

/** Rspamd's default nshots. */
export const DEFAULT_MAX_SHOTS = 100;
/** Rspamd's limit on the option text of one symbol. */
export const DEFAULT_MAX_OPTIONS_BYTES = 4096;
/** `fail_message` when a rule has `fail_action` but no message. */
export const DEFAULT_FAIL_MESSAGE = 'Virus scanner unavailable, please retry later';

/**
 * Combines every verdict of every rule for one message into symbols, score and
 * action (docs/semantics.md §7, §8, §11). Verdicts are processed in rule order as
 * configured, then part order, whatever order they arrive in, so the result is
 * deterministic.
 */
export function aggregateScan(input: AggregateInput): AggregateResult {
  const ordered = orderVerdicts(input.rules, input.verdicts);
  const scores = symbolScoreLookup([...input.rules, ...input.verdicts.map((v) => v.rule)], input.symbolScores);
  const maxShots = input.maxShots ?? DEFAULT_MAX_SHOTS;
  const table = new SymbolTable(
    (name) => (input.symbolScores[name]?.oneShot === true ? 1 : maxShots),
    input.maxOptionsBytes ?? DEFAULT_MAX_OPTIONS_BYTES,
  );
  const preResults: PreResult[] = [];
  const perRule = new Map<string, { rule: Rule; hit: boolean; failTexts: string[] }>();

  for (const v of ordered) {
    const applied = verdictToSymbols(v.rule, v.verdict, v.filename, input.whitelists.get(v.rule.name));
    for (const insertion of applied.insertions) table.add(insertion);
    if (applied.preResult !== null) preResults.push(applied.preResult);
    const state = perRule.get(v.rule.name) ?? { rule: v.rule, hit: false, failTexts: [] };
    state.hit ||= applied.hit;
    state.failTexts.push(...applied.failTexts);
    perRule.set(v.rule.name, state);
  }

  // fail_action (docs/semantics.md §11): after the rules' own forced actions.
  for (const { rule, hit, failTexts } of perRule.values()) {
    if (rule.failAction === null || hit || failTexts.length === 0) continue;
    preResults.push({
      action: rule.failAction,
      message: renderMessage(rule.failMessage ?? DEFAULT_FAIL_MESSAGE, messageVars(rule.name, failTexts)),
      module: rule.name,
      least: rule.failAction !== 'reject',
    });
  }

  const symbols: Record<string, SymbolResult> = {};
  let total = input.baseScore ?? 0;
  for (const entry of table.list()) {
    const configured = scores(entry.name);
    const score = configured.score * entry.weight;
    total += score;
    const result: SymbolResult = {
      name: entry.name,
      score,
      options: [...entry.options],
      weight: entry.weight,
      insertions: entry.insertions,
    };
    if (configured.description !== undefined) result.description = configured.description;
    symbols[entry.name] = result;
  }

  const picked = pickAction(preResults, total, input.thresholds);
  return {
    action: picked.action,
    score: picked.score,
    requiredScore: rejectThreshold(input.thresholds),
    symbols,
    message: picked.message,
    forcedBy: picked.forcedBy,
  };
}

/** Stable sort by the rule's position in `rules`, then by part path compared numerically by segment. */
export function orderVerdicts(rules: readonly Rule[], verdicts: readonly RuleVerdictInput[]): RuleVerdictInput[] {
  const position = new Map<string, number>();
  rules.forEach((r, i) => {
    if (!position.has(r.name)) position.set(r.name, i);
  });
  const rank = (v: RuleVerdictInput): number => position.get(v.rule.name) ?? rules.length;
  return verdicts
    .map((v, i) => ({ v, i }))
    .sort((a, b) => rank(a.v) - rank(b.v) || comparePartIndex(a.v.partIndex, b.v.partIndex) || a.i - b.i)
    .map(({ v }) => v);
}

/** `null` (whole message) first; `1` < `2` < `2.1` < `10`. */
export function comparePartIndex(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  const sa = a.split('.');
  const sb = b.split('.');
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    const x = sa[i] as string;
    const y = sb[i] as string;
    const nx = Number(x);
    const ny = Number(y);
    const d = Number.isFinite(nx) && Number.isFinite(ny) ? nx - ny : x < y ? -1 : x > y ? 1 : 0;
    if (d !== 0) return d;
  }
  return sa.length - sb.length;
}

/**
 * Configured score of a symbol: `symbolScores` (the group file) when it names
 * the symbol, else the rule's own `score`/`description` for its main symbol,
 * else a hash service's category settings, else 0.
 */
function symbolScoreLookup(rules: readonly Rule[], symbolScores: Record<string, SymbolScore>): (name: string) => SymbolScore {
  const fromRules = new Map<string, SymbolScore>();
  for (const rule of rules) {
    if (!fromRules.has(rule.symbol)) fromRules.set(rule.symbol, { score: rule.score ?? 0, description: rule.description });
    if (isHashService(rule.specific)) {
      for (const cat of Object.values(rule.specific.symbols)) {
        if (!fromRules.has(cat.symbol)) fromRules.set(cat.symbol, { score: cat.score, description: cat.description });
      }
    }
  }
  return (name) => {
    const fallback = fromRules.get(name);
    if (!Object.prototype.hasOwnProperty.call(symbolScores, name)) return fallback ?? { score: 0 };
    const own = symbolScores[name] as SymbolScore;
    const description = own.description ?? fallback?.description;
    return description === undefined ? own : { ...own, description };
  };
}
