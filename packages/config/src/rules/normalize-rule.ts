import { isHashServiceType, isScannerType, SCANNER_TYPES, type ScannerType, type ServerList } from '@avfleet/scanners';
import type { SourcePosition } from '../source-position';
import type { Diagnostics } from './diagnostics';
import { compilePatternSet, flattenMaps } from './compile-pattern-set';
import { OptionReader } from './option-reader';
import { parseServers } from './parse-servers';
import type { ActionName, Rule, RuleCommon, RuleSpecificOptions, VerdictTrigger } from './rule';
import { KNOWN_ACTIONS_TEXT, VERDICT_TRIGGERS, parseActionName, parseRateLimit } from './rule-values';
import { DEFAULT_DESCRIPTION, DEFAULT_GROUP, ICAP_DESCRIPTION, ICAP_GROUP, SCANNER_DEFAULTS } from './scanner-defaults';
import { normalizeSpecific } from './normalize-specific';
import type { TreeObject, TreePositions } from './ucl-view';
import { isTreeArray } from './ucl-view';
import { validateRule } from './validate-rule';

export interface NormalizeContext {
  readonly pos: TreePositions;
  readonly diag: Diagnostics;
  /** `external_services` admits only ICAP rules; `antivirus` admits every type but ICAP. */
  readonly section: 'antivirus' | 'external_services';
  /** Where the rule's name is written (its key in the section), if known. */
  readonly blockPosition?: SourcePosition | null;
}

/**
 * Build one `Rule` from its block (docs/semantics.md §1–§2). Every problem is
 * reported to `ctx.diag`; the result is null when the rule has an error.
 */
export function normalizeRule(blockName: string, block: TreeObject, ctx: NormalizeContext): Rule | null {
  const mark = ctx.diag.errors.length;
  const r = new OptionReader(blockName, block, ctx.pos, ctx.diag, ctx.blockPosition ?? null);
  const type = resolveType(blockName, r, ctx);
  if (!type) return null;
  const d = SCANNER_DEFAULTS[type];
  const icap = type === 'icap';

  const name = r.str('name') ?? blockName;
  const symbol = r.str('symbol') ?? blockName.toUpperCase();
  const attachmentsOnly = r.bool('attachments_only');
  if (attachmentsOnly !== undefined) {
    ctx.diag.warn('AVF_WARN_DEPRECATED', `rule "${blockName}": attachments_only is deprecated; write scan_mime_parts = ${attachmentsOnly} instead`, r.position('attachments_only'));
  }
  const configuredPort = r.num('default_port', { min: 0 });
  if (configuredPort !== undefined && d.ignoresDefaultPortOption) {
    ctx.diag.warn('AVF_WARN_OTHER', `rule "${blockName}": default_port is ignored for ${type} (as in Rspamd); give the port in servers (host:port)`, r.position('default_port'));
  }
  const defaultPort = d.ignoresDefaultPortOption ? 0 : Math.trunc(configuredPort ?? d.defaultPort);
  const servers = isHashServiceType(type) ? null : readServers(r, type, defaultPort);
  const timeout = r.num('timeout', { positive: true }) ?? d.timeout;
  const retransmits = isHashServiceType(type) ? 0 : Math.trunc(r.num('retransmits', { min: 0 }) ?? d.retransmits);
  const where = (key: string) => ({ rule: blockName, key, owner: block });
  /** `patterns`, `patterns_fail` or `mime_parts_filter_regex`, compiled; [] when absent. */
  const patternSet = (key: string) => {
    const raw = r.raw(key);
    return raw === undefined ? [] : compilePatternSet(raw, where(key), ctx.pos, ctx.diag);
  };
  const filterExt = r.raw('mime_parts_filter_ext');
  const hasFilters = r.has('mime_parts_filter_regex') || filterExt !== undefined;
  const actionOn = readActionOn(r);
  const rateLimitText = r.str('rate_limit');
  const rateLimit = rateLimitText === undefined ? null : parseRateLimit(rateLimitText);
  if (rateLimitText !== undefined && !rateLimit) {
    r.error('rate_limit', `rate_limit "${rateLimitText}" is not "N/period" (e.g. "4/60s", "500/h")`);
  }
  const symbolType = r.str('symbol_type') ?? 'normal';
  if (symbolType !== 'normal' && symbolType !== 'postfilter') {
    ctx.diag.warn('AVF_WARN_OTHER', `rule "${blockName}": symbol_type "${symbolType}" is treated as "normal" (only "postfilter" changes anything)`, r.position('symbol_type'));
  }

  // normalizeSpecific gives options of `type`, and a rule other than a hash service without servers has an
  // error and is dropped (both tested in normalize-rule.test): what the cast to Rule states.
  const rule = {
    name,
    type,
    symbol,
    symbolFail: r.str('symbol_fail') ?? `${symbol}_FAIL`,
    symbolEncrypted: r.str('symbol_encrypted') ?? `${symbol}_ENCRYPTED`,
    symbolMacro: r.str('symbol_macro') ?? `${symbol}_MACRO`,
    servers,
    defaultPort,
    timeout,
    retransmits,
    scanMimeParts: attachmentsOnly ?? r.bool('scan_mime_parts') ?? true,
    scanTextMime: r.bool('scan_text_mime') ?? false,
    scanImageMime: r.bool('scan_image_mime') ?? false,
    filters: hasFilters
      ? {
          regex: patternSet('mime_parts_filter_regex'),
          ext: filterExt === undefined ? [] : flattenMaps(filterExt, where('mime_parts_filter_ext'), ctx.pos, ctx.diag).map((e) => e.value),
        }
      : null,
    textPartMinWords: r.num('text_part_min_words', { min: 0 }) ?? null,
    maxSize: r.num('max_size', { min: 0 }) ?? null,
    minSize: r.num('min_size', { min: 0 }) ?? null,
    dynamicScan: r.bool('dynamic_scan') ?? false,
    eicarFakePattern: icap ? null : (r.str('eicar_fake_pattern') ?? null),
    patterns: patternSet('patterns'),
    patternsFail: patternSet('patterns_fail'),
    whitelist: r.str('whitelist') ?? null,
    logClean: r.bool('log_clean') ?? false,
    showAttachments: r.bool('show_attachments') ?? false,
    action: readAction(r, 'action'),
    actionOn,
    message: r.str('message') ?? d.message,
    failAction: readAction(r, 'fail_action'),
    failMessage: r.str('fail_message') ?? null,
    archiveLimitsFail: r.bool('archive_limits_fail') ?? false,
    prefix: r.str('prefix') ?? `rs_${name}_`,
    cacheExpire: Math.round(r.num('cache_expire', { min: 0 }) ?? d.cacheExpire),
    noCache: r.bool('no_cache') ?? false,
    symbolType: symbolType === 'postfilter' ? 'postfilter' : 'normal',
    score: r.num('score') ?? null,
    description: r.str('description') ?? (icap ? ICAP_DESCRIPTION : DEFAULT_DESCRIPTION),
    group: r.str('group') ?? (icap ? ICAP_GROUP : DEFAULT_GROUP),
    defaultScore: r.num('default_score') ?? d.defaultScore,
    rateLimit,
    specific: normalizeSpecific(type, r),
    source: ctx.blockPosition ?? ctx.pos.objectPosition(block),
    section: ctx.section,
    maxScanTime: timeout * (1 + retransmits),
  } satisfies RuleCommon & { readonly type: ScannerType; readonly servers: ServerList | null; readonly specific: RuleSpecificOptions } as Rule;
  r.touch('log_prefix');
  validateRule(rule, r);
  return ctx.diag.errors.length > mark ? null : rule;
}

function resolveType(blockName: string, r: OptionReader, ctx: NormalizeContext): ScannerType | null {
  const explicit = r.str('type');
  const type = explicit ?? blockName;
  if (!isScannerType(type)) {
    let hint = explicit === undefined ? `; add type = "clamav" (or ${SCANNER_TYPES.filter((t) => t !== 'icap').join(', ')})` : '';
    if (blockName === 'antivirus') hint = '; this file holds the inside of the antivirus section: remove the surrounding antivirus { } wrapper';
    else if (blockName.startsWith('//')) hint = '; "//" is not a comment in UCL: use # to comment out a block';
    r.diag.error('AVF_ERR_CONFIG_RULE', `rule "${blockName}": unknown antivirus type "${type}"${hint}`, r.position(explicit === undefined ? undefined : 'type'));
    return null;
  }
  if (type === 'icap' && ctx.section === 'antivirus') {
    r.diag.error('AVF_ERR_CONFIG_RULE', `rule "${blockName}": ICAP rules belong in external_services.conf (local.d/external_services.conf), not in the antivirus section`, r.position('type'));
    return null;
  }
  if (type !== 'icap' && ctx.section === 'external_services') return null;
  return type;
}

function readServers(r: OptionReader, type: ScannerType, defaultPort: number): ServerList | null {
  const key = !r.has('servers') && type === 'kaspersky_se' && r.has('socket') ? 'socket' : 'servers';
  if (type === 'kaspersky_se') r.touch('socket');
  const raw = r.raw(key);
  if (raw === undefined) return null;
  const strings = isTreeArray(raw) ? raw : [raw];
  if (!strings.every((s) => typeof s === 'string')) {
    r.error(key, `${key} must be a string or a list of strings, e.g. servers = "127.0.0.1:3310"`);
    return null;
  }
  const parsed = parseServers(strings as string[], defaultPort);
  for (const bad of parsed.rejected) {
    r.diag.warn('AVF_WARN_OTHER', `rule "${r.rule}": server entry "${bad}" cannot be parsed and is skipped (IPv6 needs brackets: [::1]:3310)`, r.position(key));
  }
  if (!parsed.servers) r.error(key, `no usable entry in ${key} ${JSON.stringify(raw)}; write host:port, [ipv6]:port or a socket path`);
  return parsed.servers;
}

function readAction(r: OptionReader, key: 'action' | 'fail_action'): ActionName | null {
  const v = r.scalar(key);
  if (v === undefined || v === null || v === false) return null;
  if (typeof v !== 'string') {
    r.error(key, `${key} must be an action name (${KNOWN_ACTIONS_TEXT}) or false, not ${JSON.stringify(v)}`);
    return null;
  }
  const action = parseActionName(v);
  if (!action) r.error(key, `unknown action "${v}" in ${key}; use one of ${KNOWN_ACTIONS_TEXT}`);
  return action;
}

function readActionOn(r: OptionReader): readonly VerdictTrigger[] {
  const raw = r.raw('action_on');
  if (raw === undefined) return VERDICT_TRIGGERS;
  const list = isTreeArray(raw) ? raw : [raw];
  const out: VerdictTrigger[] = [];
  for (const v of list) {
    if (typeof v === 'string' && (VERDICT_TRIGGERS as readonly string[]).includes(v)) {
      if (!out.includes(v as VerdictTrigger)) out.push(v as VerdictTrigger);
    } else {
      r.error('action_on', `action_on takes a list of ${VERDICT_TRIGGERS.map((t) => `"${t}"`).join(', ')}; ${JSON.stringify(v)} is not one`);
    }
  }
  return out;
}
