import { formatWarning, inSourceOrder, loadAntivirusConfig, resolveFleetSettings, type AntivirusConfig } from '@avfleet/config';
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

/** `--lenient` / AVFLEET_LENIENT_CONFIG / settings file; `{ exit }` when the settings themselves are unusable (already reported). */
function lenientSetting(args: CommandArgs): { lenient: boolean } | { exit: number } {
  try {
    return { lenient: resolveFleetSettings({ flags: args.flags, env: args.io.env, role: 'cli', cwd: args.io.cwd }).lenient };
  } catch (err) {
    return { exit: reportSettingsFailure(err, args.io) };
  }
}

/** antivirus.conf at `path` with `--lenient` applied, its warnings printed in line order; or the exit status of a reported failure. */
export function loadCommandConfig(args: CommandArgs, path: string): AntivirusConfig | { exit: number } {
  const mode = lenientSetting(args);
  if ('exit' in mode) return mode;
  let config: AntivirusConfig;
  try {
    config = loadAntivirusConfig(path, { lenient: mode.lenient });
  } catch (err) {
    return { exit: reportConfigFailure(err, path, args.io) };
  }
  for (const w of inSourceOrder(config.warnings, (x) => x.position)) args.io.stderr(`${formatWarning(w)}\n`);
  return config;
}

/**
 * `avfleet config check PATH` (docs/interfaces.md §1): exit 0 and one summary line
 * per rule on stdout, warnings on stderr; exit 1 and every error as
 * `file:line:col: message`.
 */
export async function runConfigCheck(args: CommandArgs): Promise<number> {
  const config = loadCommandConfig(args, singlePath(args, 'avfleet config check'));
  if ('exit' in config) return config.exit;
  for (const rule of config.rules) args.io.stdout(`${formatRuleSummary(rule)}\n`);
  return 0;
}
