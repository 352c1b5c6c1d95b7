import { ConfigError, ConfigErrors } from '@avfleet/config';
import type { CliIo } from './command-args';

/**
 * Print a failed load the way `config check` promises (docs/interfaces.md §1):
 * every error as `file:line:col: message` on stderr. Returns the exit status
 * (1), or rethrows what is not a configuration problem.
 */
export function reportConfigFailure(err: unknown, path: string, io: CliIo): number {
  if (err instanceof ConfigErrors) {
    for (const e of err.errors) io.stderr(`${e.format()}\n`);
    return 1;
  }
  if (err instanceof ConfigError) {
    io.stderr(`${err.format()}\n`);
    return 1;
  }
  const errno = err as NodeJS.ErrnoException | null;
  if (errno && typeof errno.code === 'string' && typeof errno.syscall === 'string') {
    io.stderr(`${path}: cannot read the configuration (${errno.code}: ${errno.message}); check the path\n`);
    return 1;
  }
  throw err;
}

/** Settings (flags, environment, AVFLEET_SETTINGS) that cannot be used: exit 2, every problem on its own line. */
export function reportSettingsFailure(err: unknown, io: CliIo): number {
  if (err instanceof ConfigError) {
    for (const line of err.format().split('\n')) io.stderr(`avfleet: ${line}\n`);
    return 2;
  }
  throw err;
}
