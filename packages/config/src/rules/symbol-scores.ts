import { isHashService } from '@avfleet/scanners';
import type { Diagnostics } from './diagnostics';
import type { Rule } from './rule';
import { DEFAULT_GROUP } from './scanner-defaults';
import type { TreeObject, TreePositions } from './ucl-view';
import { isTreeObject, positionOf } from './ucl-view';

/** Score settings of one symbol (docs/semantics.md §1, §7.5). */
export interface SymbolScore {
  readonly score: number;
  readonly description?: string;
  readonly group?: string;
  /** Inserted at most once per message (Rspamd's one-shot). */
  readonly oneShot?: boolean;
}

/**
 * Every symbol the rules register: the main symbol with the rule's `score`,
 * `_FAIL`/`_ENCRYPTED`/`_MACRO` and pattern symbols at 0, and the hash
 * services' category symbols with their configured scores.
 */
export function ruleSymbolScores(rules: readonly Rule[]): Record<string, SymbolScore> {
  const out: Record<string, SymbolScore> = {};
  const put = (name: string, s: SymbolScore) => {
    if (!(name in out)) out[name] = s;
  };
  for (const rule of rules) {
    out[rule.symbol] = { score: rule.score ?? 0, description: rule.description, group: rule.group };
    for (const name of [rule.symbolFail, rule.symbolEncrypted, rule.symbolMacro]) put(name, { score: 0, group: rule.group });
    for (const p of [...rule.patterns, ...rule.patternsFail]) put(p.name, { score: 0, group: rule.group });
    const spec = rule.specific;
    if (isHashService(spec)) {
      for (const c of Object.values(spec.symbols)) {
        if (c.enabled) out[c.symbol] = { score: c.score, description: c.description, group: c.group };
      }
    }
  }
  return out;
}

const GROUP_KEYS = ['symbols', 'one_shot', 'max_score', 'description', 'name', 'enabled'];
const SYMBOL_KEYS = ['weight', 'score', 'description', 'one_shot', 'one_param', 'groups', 'group'];

/**
 * Apply Rspamd's group file (`local.d/antivirus_group.conf`: the inside of
 * `group "antivirus" { }`, i.e. `symbols { NAME { weight = N; } }`). Its values
 * win over the rules' own (D29). A wrapping `antivirus { }` or `group { }` is
 * unwrapped with a warning.
 */
export function applyGroupFile(
  scores: Record<string, SymbolScore>,
  tree: TreeObject,
  pos: TreePositions,
  diag: Diagnostics,
): void {
  let body = tree;
  for (const wrapper of ['group', 'antivirus']) {
    const inner = body[wrapper];
    if (!('symbols' in body) && isTreeObject(inner)) {
      diag.warn('AVF_WARN_OTHER', `antivirus_group.conf holds the inside of the group: the surrounding ${wrapper} { } was unwrapped; remove it`, positionOf(pos, body, wrapper));
      body = inner;
    }
  }
  const groupOneShot = body['one_shot'] === true;
  for (const k of Object.keys(body)) {
    if (!GROUP_KEYS.includes(k)) diag.warn('AVF_WARN_UNKNOWN_KEY', `antivirus_group.conf: unknown key ${k} ignored`, positionOf(pos, body, k));
    else if (k === 'max_score') diag.warn('AVF_WARN_OTHER', 'antivirus_group.conf: max_score is not supported and is ignored', positionOf(pos, body, k));
  }
  const symbols = body['symbols'];
  if (symbols === undefined) return;
  if (!isTreeObject(symbols)) {
    diag.error('AVF_ERR_CONFIG_VALUE', 'antivirus_group.conf: symbols must be a block { NAME { weight = N; } }', positionOf(pos, body, 'symbols'));
    return;
  }
  for (const [name, v] of Object.entries(symbols)) {
    const where = positionOf(pos, symbols, name);
    if (!isTreeObject(v)) {
      diag.error('AVF_ERR_CONFIG_VALUE', `antivirus_group.conf: symbols.${name} must be a block { weight = N; }`, where);
      continue;
    }
    const weight = v['weight'] ?? v['score'];
    if (weight !== undefined && typeof weight !== 'number') {
      diag.error('AVF_ERR_CONFIG_VALUE', `antivirus_group.conf: symbols.${name}.weight must be a number, not ${JSON.stringify(weight)}`, where);
      continue;
    }
    for (const k of Object.keys(v)) {
      if (!SYMBOL_KEYS.includes(k)) diag.warn('AVF_WARN_UNKNOWN_KEY', `antivirus_group.conf: unknown key symbols.${name}.${k} ignored`, positionOf(pos, v, k));
    }
    const old = scores[name];
    const description = v['description'];
    const oneShot = v['one_shot'];
    scores[name] = {
      score: typeof weight === 'number' ? weight : (old?.score ?? 0),
      description: typeof description === 'string' ? description : old?.description,
      group: old?.group ?? DEFAULT_GROUP,
      oneShot: typeof oneShot === 'boolean' ? oneShot : groupOneShot || old?.oneShot,
    };
  }
  if (groupOneShot) {
    for (const [name, s] of Object.entries(scores)) {
      if (s.group === DEFAULT_GROUP && s.oneShot === undefined) scores[name] = { ...s, oneShot: true };
    }
  }
}
