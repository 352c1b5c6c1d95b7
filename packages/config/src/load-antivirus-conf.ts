import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ConfigWarning } from './errors';
import { ConfigError, ConfigErrors } from './errors';
import { buildRules } from './rules/build-rules';
import type { Rule } from './rules/rule';
import { configDigest, ruleToJson } from './rules/rules-to-json';
import type { SymbolScore } from './rules/symbol-scores';
import type { TreeObject, TreePositions } from './rules/ucl-view';
import { isTreeArray, isTreeObject } from './rules/ucl-view';
import type { UclObject, UclParseResult } from './ucl';
import { isImplicitArray, keyPositions, objectPosition, parseUcl, parseUclFile } from './ucl';

export interface AntivirusConfig {
  /** Configuration order (antivirus rules, then ICAP rules of external_services). */
  rules: Rule[];
  /** From the rules' own settings, then antivirus_group.conf (which wins). */
  symbolScores: Record<string, SymbolScore>;
  /** The reserved `redis` block and section-level Redis servers, if any. */
  redis: Record<string, unknown> | null;
  warnings: ConfigWarning[];
  /** Every file read. */
  files: string[];
  /** sha256 hex of the effective rules JSON (jobs carry it). */
  digest: string;
}

export interface LoadOptions {
  /** Drop invalid rules with a warning instead of refusing the configuration (Rspamd's behaviour). */
  lenient?: boolean;
  /** UCL variables (`CONFDIR`, `DBDIR`, …); `LOCAL_CONFDIR` defaults to the directory given. */
  variables?: Record<string, string>;
}

export interface BuildContext {
  lenient?: boolean;
  /** The inside of `external_services` (ICAP rules). */
  externalServices?: UclObject | TreeObject | null;
  /** The inside of `group "antivirus"` (antivirus_group.conf). */
  groupFile?: UclObject | TreeObject | null;
  /** The inside of the `force_actions` module (force_actions.conf: `rules { … }`). */
  forceActions?: UclObject | TreeObject | null;
  /** Defaults to the UCL parser's position tables. */
  positions?: TreePositions;
  files?: string[];
  /** Parser warnings to pass through. */
  warnings?: ConfigWarning[];
}

/** Positions from the UCL parser's side tables. */
export const UCL_POSITIONS: TreePositions = {
  keyPositions: (obj, key) => keyPositions(obj as UclObject, key),
  objectPosition: (obj) => objectPosition(obj as UclObject),
  isImplicitArray: (obj, key) => isImplicitArray(obj as UclObject, key),
};

/** Build the configuration from an already parsed `antivirus` section (its inside). Throws ConfigErrors. */
export function buildAntivirusConfig(tree: UclObject | TreeObject, ctx: BuildContext = {}): AntivirusConfig {
  const out = buildRules({
    section: tree,
    externalServices: ctx.externalServices ?? null,
    groupFile: ctx.groupFile ?? null,
    forceActions: ctx.forceActions ?? null,
    positions: ctx.positions ?? UCL_POSITIONS,
    lenient: ctx.lenient ?? false,
  });
  if (out.errors.length > 0) throw new ConfigErrors(out.errors);
  return {
    rules: out.rules,
    symbolScores: out.symbolScores,
    redis: out.redis,
    warnings: [...(ctx.warnings ?? []), ...out.warnings],
    files: ctx.files ?? [],
    digest: configDigest(out.rules, out.symbolScores),
  };
}

/** What `avfleet config dump` prints: defaults filled, regexes as strings. */
export function rulesToJson(cfg: AntivirusConfig): unknown {
  return {
    digest: cfg.digest,
    rules: cfg.rules.map((r) => ruleToJson(r)),
    symbol_scores: cfg.symbolScores,
    redis: cfg.redis,
  };
}

/** Parser errors become ConfigErrors so callers see one error type. */
function guard<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigErrors([e]);
    throw e;
  }
}

function parseText(text: string, filename: string, variables: Record<string, string>): UclParseResult {
  return guard(() => parseUcl(text, { filename, variables }));
}

/** Rspamd's include lines for a module's local.d/ and override.d/ files (docs/config-format.md §1). */
function localIncludes(name: string): string[] {
  return [
    `.include(try=true,priority=1,duplicate=merge) "\${LOCAL_CONFDIR}/local.d/${name}.conf"`,
    `.include(try=true,priority=10) "\${LOCAL_CONFDIR}/override.d/${name}.conf"`,
  ];
}

/** A file Rspamd includes at the top level (groups.conf, force_actions): its local.d/ and override.d/ copies. */
function readLocalFile(dir: string, name: string, label: string, variables: Record<string, string>): UclParseResult {
  return parseText(localIncludes(name).join('\n'), join(dir, `${label} (built-in)`), variables);
}

/**
 * The section as Rspamd assembles it (docs/config-format.md §1): the shipped
 * `modules.d/<name>.conf` when present, else the same include lines built in.
 */
function readSection(dir: string, name: string, variables: Record<string, string>): UclParseResult {
  const shipped = join(dir, 'modules.d', `${name}.conf`);
  const parsed = existsSync(shipped)
    ? guard(() => parseUclFile(shipped, { variables }))
    : parseText(
        [
          `${name} {`,
          variables['DBDIR'] ? `  .include(try=true,priority=5) "\${DBDIR}/dynamic/${name}.conf"` : '',
          ...localIncludes(name).map((line) => `  ${line}`),
          '}',
        ].join('\n'),
        join(dir, 'modules.d', `${name}.conf (built-in)`),
        variables,
      );
  return { ...parsed, value: combineSections(parsed.value[name]) };
}

/** Several top-level sections are combined rule by rule; a later rule replaces an earlier one. */
function combineSections(v: UclObject[string] | undefined): UclObject {
  if (isTreeObject(v)) return v as UclObject;
  if (!isTreeArray(v)) return {};
  const out: UclObject = {};
  for (const part of v) if (isTreeObject(part)) Object.assign(out, part);
  return out;
}

/**
 * Load from a single file (the inside of the section, parsed on its own) or a
 * directory with `local.d/` and `override.d/` (and optionally `modules.d/`),
 * which also supplies `antivirus_group.conf` and `external_services.conf`.
 */
export function loadAntivirusConfig(path: string, opts: LoadOptions = {}): AntivirusConfig {
  const abs = resolve(path);
  if (!existsSync(abs)) {
    throw new ConfigErrors([new ConfigError('AVF_ERR_CONFIG_INCLUDE', `configuration ${abs} does not exist; give antivirus.conf or a directory with local.d/`)]);
  }
  if (!statSync(abs).isDirectory()) {
    const r = guard(() => parseUclFile(abs, { variables: opts.variables }));
    return buildAntivirusConfig(r.value, { lenient: opts.lenient, files: r.files, warnings: r.warnings });
  }
  const hasAny = ['modules.d/antivirus.conf', 'local.d/antivirus.conf', 'override.d/antivirus.conf'].some((f) => existsSync(join(abs, f)));
  if (!hasAny) {
    throw new ConfigErrors([
      new ConfigError('AVF_ERR_CONFIG_INCLUDE', `${abs} has no local.d/antivirus.conf (nor modules.d/ or override.d/ antivirus.conf); put the rules there or give the file itself`),
    ]);
  }
  const variables = { CONFDIR: abs, LOCAL_CONFDIR: abs, ...(opts.variables ?? {}) };
  const av = readSection(abs, 'antivirus', variables);
  const ext = readSection(abs, 'external_services', variables);
  const group = readLocalFile(abs, 'antivirus_group', 'groups.conf', variables);
  const force = readLocalFile(abs, 'force_actions', 'force_actions.conf', variables);
  const files = [...new Set([...av.files, ...ext.files, ...group.files, ...force.files])].filter((f) => existsSync(f));
  return buildAntivirusConfig(av.value, {
    lenient: opts.lenient,
    externalServices: ext.value,
    groupFile: Object.keys(group.value).length > 0 ? group.value : null,
    forceActions: Object.keys(force.value).length > 0 ? force.value : null,
    files,
    warnings: [...av.warnings, ...ext.warnings, ...group.warnings, ...force.warnings],
  });
}
