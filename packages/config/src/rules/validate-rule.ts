import { isHashService, SCANNER_TYPES } from '@avfleet/scanners';
import type { OptionReader } from './option-reader';
import type { Rule } from './rule';
import { COMMON_KEYS, IGNORED_KEYS, TYPE_KEYS, suggestKey } from './rule-keys';
import { SCANNER_DEFAULTS } from './scanner-defaults';

/** Every type-specific key of any scanner type. */
const ALL_TYPE_KEYS: ReadonlySet<string> = new Set(SCANNER_TYPES.flatMap((t) => TYPE_KEYS[t]));

/**
 * Cross-option checks of a normalised rule (docs/semantics.md §1–§3, D27, D30, D32):
 * required options, start-up warnings, unknown keys.
 */
export function validateRule(rule: Rule, r: OptionReader): void {
  const d = SCANNER_DEFAULTS[rule.type];
  const diag = r.diag;
  const here = (key?: string) => r.position(key);

  if (isHashService(rule.specific)) {
    if (rule.specific.apikey === '') {
      diag.error('AVF_ERR_CONFIG_RULE', `rule "${r.rule}": no apikey defined for ${rule.type}; add apikey = "…" (quoted)`, here());
    }
  } else if (!r.has('servers') && !(rule.type === 'kaspersky_se' && r.has('socket'))) {
    const example = d.defaultPort > 0 ? `"127.0.0.1:${d.defaultPort}"` : '"/path/to/socket"';
    diag.error('AVF_ERR_CONFIG_RULE', `rule "${r.rule}": no servers defined; add servers = ${example}`, here());
  }

  if (rule.scanTextMime && rule.textPartMinWords === null) {
    diag.warn(
      'AVF_WARN_TEXT_MIME',
      `rule "${r.rule}": scan_text_mime has no effect without text_part_min_words (as in Rspamd); add text_part_min_words = N`,
      here('scan_text_mime'),
    );
  }
  if (rule.type === 'savapi' && !r.has('product_id')) {
    diag.warn('AVF_WARN_NO_PRODUCT_ID', `rule "${r.rule}": savapi without product_id sends the placeholder 0; set product_id from your HBEDV.key licence`, here());
  }
  if (rule.failMessage !== null && rule.failAction === null) {
    diag.warn('AVF_WARN_OTHER', `rule "${r.rule}": fail_message is unused without fail_action`, here('fail_message'));
  }
  if (rule.archiveLimitsFail && !rule.scanMimeParts) {
    diag.warn('AVF_WARN_OTHER', `rule "${r.rule}": archive_limits_fail has no effect with scan_mime_parts = false (the whole message is scanned, no part is selected)`, here('archive_limits_fail'));
  }
  if (rule.minSize !== null && rule.maxSize !== null && rule.minSize > rule.maxSize) {
    diag.warn('AVF_WARN_OTHER', `rule "${r.rule}": min_size (${rule.minSize}) is above max_size (${rule.maxSize}); nothing will be scanned`, here('min_size'));
  }
  if (rule.action !== null && rule.actionOn.length === 0) {
    diag.warn('AVF_WARN_OTHER', `rule "${r.rule}": action_on is empty, so action "${rule.action}" never applies`, here('action_on'));
  }
  warnUnknownKeys(rule, r);
}

function warnUnknownKeys(rule: Rule, r: OptionReader): void {
  const known = [...COMMON_KEYS, ...TYPE_KEYS[rule.type]];
  const ignored = IGNORED_KEYS[rule.type] ?? {};
  for (const key of r.unreadKeys()) {
    const pos = r.position(key);
    const reason = ignored[key];
    if (reason !== undefined) {
      r.diag.warn('AVF_WARN_UNKNOWN_KEY', `rule "${r.rule}": option ${key} is ignored: ${reason}`, pos);
      continue;
    }
    if (known.includes(key)) {
      r.diag.warn('AVF_WARN_UNKNOWN_KEY', `rule "${r.rule}": option ${key} is not used by ${rule.type} rules`, pos);
      continue;
    }
    if (ALL_TYPE_KEYS.has(key)) {
      r.diag.warn('AVF_WARN_UNKNOWN_KEY', `rule "${r.rule}": option ${key} is not used by ${rule.type} rules (it belongs to other scanner types)`, pos);
      continue;
    }
    const suggestion = suggestKey(key, known);
    const hint = key.startsWith('//') ? '; "//" is not a comment in UCL, use #' : suggestion ? `; did you mean ${suggestion}?` : '';
    r.diag.warn('AVF_WARN_UNKNOWN_KEY', `rule "${r.rule}": unknown option ${key} ignored${hint}`, pos);
  }
}
