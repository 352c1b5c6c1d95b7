import type { ConfigError, ConfigWarning } from '../errors';
import type { SourcePosition } from '../source-position';
import { formatPosition } from '../source-position';
import { Diagnostics } from './diagnostics';
import { applyForceActions } from './force-actions';
import { normalizeRule } from './normalize-rule';
import { warnNoFailAction } from './warn-no-fail-action';
import type { Rule } from './rule';
import type { SymbolScore } from './symbol-scores';
import { applyGroupFile, ruleSymbolScores } from './symbol-scores';
import type { TreeObject, TreePositions, TreeValue } from './ucl-view';
import { isTreeArray, isTreeObject, positionOf, treeToJson } from './ucl-view';

/** Section-level keys that Rspamd takes as the module's Redis servers (docs/config-format.md §5). */
const REDIS_SERVER_KEYS = ['servers', 'server', 'read_servers', 'write_servers'];

export interface BuildInput {
  /** The inside of the `antivirus` section. */
  readonly section: TreeObject;
  /** The inside of the `external_services` section (ICAP rules), if any. */
  readonly externalServices?: TreeObject | null;
  /** `antivirus_group.conf` (inside of the group), if any. */
  readonly groupFile?: TreeObject | null;
  /** `force_actions.conf` (the module's inside: `rules { … }`), if any: fail symbols → fail_action (D53). */
  readonly forceActions?: TreeObject | null;
  readonly positions: TreePositions;
  readonly lenient: boolean;
}

/** A rule block that was refused, with its errors (lenient mode turns them into one warning). */
interface Dropped {
  readonly name: string;
  readonly errors: readonly ConfigError[];
}

export interface BuildOutput {
  readonly rules: Rule[];
  readonly symbolScores: Record<string, SymbolScore>;
  readonly redis: Record<string, unknown> | null;
  readonly warnings: ConfigWarning[];
  /** Empty unless the result must be refused. */
  readonly errors: ConfigError[];
}

/**
 * Turn the parsed sections into rules (docs/semantics.md §1, docs/config-format.md §5):
 * every object member is a rule, `redis` is reserved, a rule given twice in
 * an append context is an error. In lenient mode bad rules are dropped with
 * a warning (Rspamd's behaviour, D27) and only "no rule left" is an error.
 */
export function buildRules(input: BuildInput): BuildOutput {
  const diag = new Diagnostics();
  const pos = input.positions;
  const rules: Rule[] = [];
  const dropped: Dropped[] = [];
  let redis: Record<string, unknown> | null = null;

  const addRule = (name: string, block: TreeObject, section: 'antivirus' | 'external_services', owner: TreeObject) => {
    const mark = diag.errors.length;
    const blockPosition = pos.keyPositions(owner, name)[0] ?? null;
    const rule = normalizeRule(name, block, { pos, diag, section, blockPosition });
    if (rule) rules.push(rule);
    else dropped.push({ name, errors: diag.since(mark) });
  };

  for (const [key, value] of Object.entries(input.section)) {
    const where = positionOf(pos, input.section, key);
    if (key === 'redis') {
      if (isTreeObject(value)) redis = { ...(redis ?? {}), ...(treeToJson(value) as Record<string, unknown>) };
      else diag.warn('AVF_WARN_OTHER', 'antivirus: redis must be a block { servers = …; }; ignored', where);
    } else if (REDIS_SERVER_KEYS.includes(key) && !isTreeObject(value)) {
      redis = { ...(redis ?? {}), [key]: treeToJson(value) };
    } else if (isTreeObject(value)) {
      if (key === 'antivirus' && !('type' in value)) {
        dropRule(
          diag,
          dropped,
          key,
          'found an antivirus { } wrapper: local.d/override.d files (and a single file given on the command line) hold the inside of the section; remove the wrapper and keep the rule blocks',
          where,
        );
      } else addRule(key, value, 'antivirus', input.section);
    } else if (isTreeArray(value) && value.length > 0 && value.every((v: TreeValue) => isTreeObject(v))) {
      const lines = pos.keyPositions(input.section, key).map((p) => formatPosition(p));
      const at = lines.length > 1 ? ` (at ${lines.join(' and ')})` : '';
      const msg = pos.isImplicitArray(input.section, key) || lines.length > 1
        ? `rule "${key}" defined twice${at}; merge the blocks into one (only local.d/antivirus.conf merges repeated blocks)`
        : `rule "${key}" is a list of blocks; write one block ${key} { … }`;
      dropRule(diag, dropped, key, msg, where);
    } else {
      diag.warn('AVF_WARN_UNKNOWN_KEY', `antivirus: ${key} is not a rule block and is ignored`, where);
    }
  }

  const externalServices = input.externalServices ?? {};
  for (const [key, value] of Object.entries(externalServices)) {
    const where = positionOf(pos, externalServices, key);
    if (!isTreeObject(value)) continue;
    const type = value['type'] ?? key;
    if (type !== 'icap') {
      diag.warn('AVF_WARN_OTHER', `external_services: block ${key} (type ${JSON.stringify(type)}) is not an ICAP rule; avfleet ignores it`, where);
      continue;
    }
    addRule(key, value, 'external_services', externalServices);
  }

  checkUniqueNames(rules, diag, dropped);
  if (input.forceActions) rules.splice(0, rules.length, ...applyForceActions(rules, input.forceActions, pos, diag));
  warnNoFailAction(rules, diag);

  const symbolScores = ruleSymbolScores(rules);
  if (input.groupFile) applyGroupFile(symbolScores, input.groupFile, pos, diag);

  const errors = [...diag.errors];
  const warnings = [...diag.warnings];
  if (input.lenient && errors.length > 0) {
    const inRules = new Set(dropped.flatMap((d) => d.errors));
    for (const d of dropped) warnings.push({ code: 'AVF_WARN_RULE_DROPPED', message: droppedMessage(d), position: d.errors[0]?.position ?? null });
    for (const e of errors) {
      if (!inRules.has(e)) warnings.push({ code: 'AVF_WARN_OTHER', message: `${e.message} (ignored in lenient mode)`, position: e.position });
    }
    errors.length = 0;
  }
  if (rules.length === 0 && errors.length === 0) {
    // Lenient mode dropped every rule: the refusal says which and why (the warnings do not reach the operator with it).
    const mark = diag.errors.length;
    for (const d of dropped) diag.error('AVF_ERR_CONFIG_RULE', droppedMessage(d), d.errors[0]?.position ?? null);
    diag.error(
      'AVF_ERR_CONFIG_RULE',
      dropped.length > 0
        ? `no valid antivirus rule left after dropping the invalid ones (${dropped.map((d) => d.name).join(', ')})`
        : 'no antivirus rule configured; add a block such as clamav { servers = "127.0.0.1:3310"; }',
      null,
    );
    errors.push(...diag.since(mark));
  }
  return { rules: errors.length > 0 ? [] : rules, symbolScores, redis, warnings, errors };
}

/** `rule "NAME" dropped (lenient mode): <its errors>`: the warning, or one line of the refusal when no rule is left. */
function droppedMessage(d: Dropped): string {
  const own = `rule "${d.name}": `;
  return `rule "${d.name}" dropped (lenient mode): ${d.errors.map((e) => (e.message.startsWith(own) ? e.message.slice(own.length) : e.message)).join('; ')}`;
}

/** Rule names are queue names and cache prefixes: they must be unique. */
function checkUniqueNames(rules: Rule[], diag: Diagnostics, dropped: Dropped[]): void {
  const seen = new Map<string, Rule>();
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    if (!rule) continue;
    const first = seen.get(rule.name);
    if (!first) {
      seen.set(rule.name, rule);
      continue;
    }
    dropRule(
      diag,
      dropped,
      rule.name,
      `two rules are named "${rule.name}" (the first at ${formatPosition(first.source)}); rule names are queue names and must be unique — change name = …`,
      rule.source,
    );
    rules.splice(i, 1);
    i--;
  }
}

/** Refuses a rule block: reports the error and lists the rule as dropped. */
function dropRule(diag: Diagnostics, dropped: Dropped[], name: string, message: string, where: SourcePosition | null): void {
  diag.error('AVF_ERR_CONFIG_RULE', message, where);
  dropped.push({ name, errors: diag.since(diag.errors.length - 1) });
}
