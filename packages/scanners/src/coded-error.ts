/**
 * The one shape of every avfleet error: a stable `code` (docs/errors.md lists them) that
 * callers branch on, a message for people, and an optional cause. Each package's errors
 * extend it with their own code union (StoreError, IntakeError, ConfigError, ...); it lives
 * in the lowest package so all of them can. Never match an error by its message.
 */
export abstract class CodedError<Code extends string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    // Keeps `instanceof` right for subclasses whatever the compile target.
    Object.setPrototypeOf(this, new.target.prototype);
  }
}
