import type { Diagnostics } from './diagnostics';
import type { ActionName, Rule } from './rule';
import { KNOWN_ACTIONS_TEXT, parseActionName } from './rule-values';
import type { TreeObject, TreePositions, TreeValue } from './ucl-view';
import { isTreeArray, isTreeObject, positionOf } from './ucl-view';

/**
 * The force_actions-compatible file (docs/semantics.md §11, D47, D53):
 * `local.d/force_actions.conf` rules whose `expression` is the `symbol_fail`
 * of an antivirus rule, or `A | B` of such, become that rule's
 * `fail_action` / `fail_message`. Everything else in the file is reported
 * with a warning naming the force_actions rule — never silently dropped.
 */

const KNOWN_KEYS = ['action', 'expression', 'message', 'least', 'limit', 'require_action', 'honor_action', 'subject'];
const SIMPLE_EXPRESSION = /^\s*[A-Za-z0-9_]+(?:\s*\|\|?\s*[A-Za-z0-9_]+)*\s*$/;

interface Mapping {
  readonly action: ActionName;
  readonly message: string | null;
  readonly forceRule: string;
}

/** The force_actions rules of the file: `rules { NAME { … } }` (a wrapping `force_actions { }` is unwrapped). */
function forceRules(tree: TreeObject): [string, TreeValue][] {
  const body = !('rules' in tree) && isTreeObject(tree['force_actions']) ? tree['force_actions'] : tree;
  const rules = body['rules'];
  if (isTreeArray(rules)) return rules.flatMap((r) => (isTreeObject(r) ? Object.entries(r) : []));
  return isTreeObject(rules) ? Object.entries(rules) : [];
}

/** Rules with `fail_action`/`fail_message` filled from the file. Rules that set `fail_action` themselves keep it. */
export function applyForceActions(rules: readonly Rule[], tree: TreeObject, pos: TreePositions, diag: Diagnostics): Rule[] {
  const byFailSymbol = new Map(rules.map((r) => [r.symbolFail, r]));
  const mapped = new Map<string, Mapping>();
  const unsupported = (name: string, block: TreeObject | null, why: string, key?: string): void => {
    const where = block ? positionOf(pos, block, key) : null;
    diag.warn('AVF_WARN_FORCE_ACTIONS', `force_actions rule "${name}" is not supported and has no effect in avfleet: ${why}`, where);
  };

  for (const [name, value] of forceRules(tree)) {
    if (!isTreeObject(value)) {
      unsupported(name, null, 'it is not a block');
      continue;
    }
    for (const key of Object.keys(value)) {
      if (!KNOWN_KEYS.includes(key)) diag.warn('AVF_WARN_FORCE_ACTIONS', `force_actions rule "${name}": unknown option ${key} ignored`, positionOf(pos, value, key));
    }
    const guard = ['require_action', 'honor_action'].find((k) => k in value);
    if (guard !== undefined) {
      unsupported(name, value, `${guard} is not supported; use fail_action in the antivirus rule`, guard);
      continue;
    }
    const expression = value['expression'];
    if (typeof expression !== 'string' || !SIMPLE_EXPRESSION.test(expression)) {
      unsupported(name, value, `only an expression naming antivirus fail symbols is supported ("CLAM_VIRUS_FAIL" or "A_FAIL | B_FAIL"), not ${JSON.stringify(expression ?? null)}`, 'expression');
      continue;
    }
    const atoms = expression.split(/\|\|?/).map((a) => a.trim());
    const notFail = atoms.filter((a) => !byFailSymbol.has(a));
    if (notFail.length > 0) {
      unsupported(name, value, `${notFail.join(', ')} is not the symbol_fail of an antivirus rule (known: ${[...byFailSymbol.keys()].join(', ') || 'none'})`, 'expression');
      continue;
    }
    const limit = value['limit'];
    if (limit !== undefined && !(typeof limit === 'number' && limit < 0.001)) {
      unsupported(name, value, `limit = ${JSON.stringify(limit)} never lets a fail symbol (value 0.001) fire`, 'limit');
      continue;
    }
    const actionText = value['action'];
    const action = typeof actionText === 'string' ? parseActionName(actionText) : null;
    if (action === null) {
      unsupported(name, value, `action ${JSON.stringify(actionText ?? null)} is not one of ${KNOWN_ACTIONS_TEXT}`, 'action');
      continue;
    }
    if (value['least'] === true && action === 'reject') {
      diag.warn('AVF_WARN_FORCE_ACTIONS', `force_actions rule "${name}": least = true with "reject" is applied as a final reject (as fail_action does)`, positionOf(pos, value, 'least'));
    }
    const message = typeof value['message'] === 'string' ? value['message'] : null;
    for (const atom of atoms) {
      const rule = byFailSymbol.get(atom) as Rule;
      const earlier = mapped.get(rule.name);
      if (earlier) {
        diag.warn('AVF_WARN_FORCE_ACTIONS', `force_actions rule "${name}": ${atom} is already mapped by "${earlier.forceRule}"; the first mapping is kept`, positionOf(pos, value, 'expression'));
        continue;
      }
      if (rule.failAction !== null) {
        diag.warn('AVF_WARN_FORCE_ACTIONS', `force_actions rule "${name}": antivirus rule "${rule.name}" sets fail_action itself; that one is kept`, positionOf(pos, value, 'expression'));
        continue;
      }
      mapped.set(rule.name, { action, message, forceRule: name });
    }
  }
  return rules.map((r) => {
    const m = mapped.get(r.name);
    return m ? { ...r, failAction: m.action, failMessage: m.message ?? r.failMessage } : r;
  });
}
