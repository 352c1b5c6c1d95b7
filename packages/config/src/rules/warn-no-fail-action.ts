import type { Diagnostics } from './diagnostics';
import type { Rule } from './rule';

/**
 * `AVF_WARN_RULE_NO_FAIL_ACTION`: a rule without `fail_action` (after
 * force_actions.conf, which may set it) lets a message through when its scan
 * fails. A sender can make it fail on purpose: a file padded past the
 * scanner's size limit (clamd's StreamMaxLength answers "INSTREAM size limit
 * exceeded") gets only the fail symbol, and the action stays `no action`
 * (docs/semantics.md §11: a fail verdict forces nothing without it). Rspamd behaves the same
 * and says nothing; avfleet says it once per rule, at `config check` and at start-up.
 */
export function warnNoFailAction(rules: readonly Rule[], diag: Diagnostics): void {
  for (const rule of rules) {
    if (rule.failAction !== null) continue;
    diag.warn(
      'AVF_WARN_RULE_NO_FAIL_ACTION',
      `rule "${rule.name}": no fail_action, so a message whose scan fails passes with only ${rule.symbolFail} — ` +
        'a file padded past the scanner\'s size limit (clamd StreamMaxLength) fails the scan on purpose; ' +
        'set fail_action = "soft reject" (retried later) or "reject" to refuse such mail',
      rule.source,
    );
  }
}
