import type { SourcePosition } from './source-position';
import { formatPosition, inSourceOrder } from './source-position';
import { CodedError } from '@avfleet/scanners';

/** Stable codes: once published a code keeps its meaning (docs/errors.md lists them). */
export type ConfigErrorCode =
  | 'AVF_ERR_CONFIG_SYNTAX'
  | 'AVF_ERR_CONFIG_INCLUDE'
  | 'AVF_ERR_CONFIG_TEMPLATE'
  | 'AVF_ERR_CONFIG_RULE'
  | 'AVF_ERR_CONFIG_VALUE'
  | 'AVF_ERR_CONFIG_SETTINGS';

/** A configuration problem that refuses start-up; carries file, line and column when known. */
export class ConfigError extends CodedError<ConfigErrorCode> {
  override readonly name = 'ConfigError';
  constructor(
    code: ConfigErrorCode,
    message: string,
    readonly position: SourcePosition | null = null,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
  /** `file:line:col: message`, as `avfleet config check` prints it. */
  format(): string {
    return this.position ? `${formatPosition(this.position)}: ${this.message}` : this.message;
  }
}

/** Several errors found in one pass (config check reports all of them), in the order of the configuration's lines. */
export class ConfigErrors extends Error {
  override readonly name = 'ConfigErrors';
  /** The first error's code (each error in `errors` carries its own). */
  readonly code: ConfigErrorCode;
  /** By file, line and column (inSourceOrder); errors without a position last. */
  readonly errors: readonly ConfigError[];
  constructor(errors: readonly ConfigError[]) {
    const sorted = inSourceOrder(errors, (e) => e.position);
    super(sorted.map((e) => e.format()).join('\n'));
    this.errors = sorted;
    this.code = sorted[0]?.code ?? 'AVF_ERR_CONFIG_RULE';
    Object.setPrototypeOf(this, ConfigErrors.prototype);
  }
}

export type ConfigWarningCode =
  | 'AVF_WARN_BOM'
  | 'AVF_WARN_SLASH_COMMENT'
  | 'AVF_WARN_DQ_REGEX_ESCAPE'
  | 'AVF_WARN_UNKNOWN_KEY'
  | 'AVF_WARN_DEPRECATED'
  | 'AVF_WARN_TEXT_MIME'
  | 'AVF_WARN_NO_PRODUCT_ID'
  | 'AVF_WARN_RULE_DROPPED'
  /** A force_actions.conf rule that avfleet cannot map to fail_action (docs/semantics.md §11). */
  | 'AVF_WARN_FORCE_ACTIONS'
  /** A rule without fail_action: a scan that fails (a file padded past the scanner's limit) lets the message through. */
  | 'AVF_WARN_RULE_NO_FAIL_ACTION'
  /** AVFLEET_MILTER_DEADLINE or AVFLEET_CLAMD_DEADLINE over the 300 s every answer is capped to. */
  | 'AVF_WARN_DEADLINE_CAPPED'
  | 'AVF_WARN_OTHER';

/** Something the operator should look at; start-up goes on. */
export interface ConfigWarning {
  readonly code: ConfigWarningCode;
  readonly message: string;
  readonly position: SourcePosition | null;
}

export function formatWarning(w: ConfigWarning): string {
  return w.position ? `${formatPosition(w.position)}: warning: ${w.message}` : `warning: ${w.message}`;
}
