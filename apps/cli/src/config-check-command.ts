import { formatWarning, loadAntivirusConfig, resolveFleetSettings } from '@avfleet/config';
import type { CommandArgs } from './command-args';
import { formatRuleSummary } from './format-rule-summary';
import { reportConfigFailure, reportSettingsFailure } from './report-config-failure';
import { UsageError } from './usage-error';

/** The one PATH argument of `config check` / `config dump`. */
export function singlePath(args: CommandArgs, command: string): string {
  if (args.positionals.length !== 1) {
    throw new UsageError(`${command} takes exactly one PATH (antivirus.conf), got ${args.positionals.length}; e.g. ${command} /etc/rspamd/local.d/antivirus.conf`);
  }
  return args.positionals[0];
}

/** `--lenient` / AVFLEET_LENIENT_CONFIG / settings file; null when the settings themselves are unusable (already reported). */
export function lenientSetting(args: CommandArgs): { lenient: boolean } | { exit: number } {
  try {
    return { lenient: resolveFleetSettings({ flags: args.flags, env: args.io.env, role: 'cli', cwd: args.io.cwd }).lenient };
  } catch (err) {
    return { exit: reportSettingsFailure(err, args.io) };
  }
}

/**
 * `avfleet config check PATH` (interfaces.md §1): exit 0 and one summary line
 * per rule on stdout, warnings on stderr; exit 1 and every error as
 * `file:line:col: message`.
 */
export async function runConfigCheck(args: CommandArgs): Promise<number> {
  const path = singlePath(args, 'avfleet config check');
  const mode = lenientSetting(args);
  if ('exit' in mode) return mode.exit;
  let config;
  try {
    config = loadAntivirusConfig(path, { lenient: mode.lenient });
  } catch (err) {
    return reportConfigFailure(err, path, args.io);
  }
  for (const w of config.warnings) args.io.stderr(`${formatWarning(w)}\n`);
  for (const rule of config.rules) args.io.stdout(`${formatRuleSummary(rule)}\n`);
  return 0;
}
