import type { ConfigErrorCode, ConfigWarning, ConfigWarningCode } from '../errors';
import { ConfigError } from '../errors';
import type { SourcePosition } from '../source-position';

/** Collects every error and warning of one loading pass (config check reports all of them). */
export class Diagnostics {
  readonly errors: ConfigError[] = [];
  readonly warnings: ConfigWarning[] = [];

  error(code: ConfigErrorCode, message: string, position: SourcePosition | null): void {
    this.errors.push(new ConfigError(code, message, position));
  }

  add(err: ConfigError): void {
    this.errors.push(err);
  }

  warn(code: ConfigWarningCode, message: string, position: SourcePosition | null): void {
    this.warnings.push({ code, message, position });
  }

  /** Errors added since `mark` (a previous `errors.length`). */
  since(mark: number): readonly ConfigError[] {
    return this.errors.slice(mark);
  }
}
