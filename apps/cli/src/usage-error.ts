import { CodedError } from '@avfleet/scanners';

/** A command line the CLI cannot run (unknown command or flag, missing value): exit status 2 with a hint. */
export class UsageError extends CodedError<'AVF_ERR_CLI_USAGE'> {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super('AVF_ERR_CLI_USAGE', message);
  }
}
