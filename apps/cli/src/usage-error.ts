/** A command line the CLI cannot run (unknown command or flag, missing value): exit status 2 with a hint. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'AVF_ERR_CLI_USAGE' as const;
  constructor(message: string) {
    super(message);
    Object.setPrototypeOf(this, UsageError.prototype);
  }
}
