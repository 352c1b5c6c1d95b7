import { fleetSettingsWarnings, formatWarning, inSourceOrder, loadAntivirusConfig, resolveFleetSettings, type AntivirusConfig, type FleetSettings } from '@avfleet/config';
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

/** The fleet settings (flags, environment, settings file); `{ exit }` when they are unusable (already reported). */
function commandSettings(args: CommandArgs): FleetSettings | { exit: number } {
  try {
    return resolveFleetSettings({ flags: args.flags, env: args.io.env, role: 'cli', cwd: args.io.cwd });
  } catch (err) {
    return { exit: reportSettingsFailure(err, args.io) };
  }
}

/**
 * antivirus.conf at `path` with `--lenient` applied, its warnings printed in line order, then
 * the settings' own warnings (a deadline over the cap: AVF_WARN_DEADLINE_CAPPED); or the exit
 * status of a reported failure.
 */
export function loadCommandConfig(args: CommandArgs, path: string): AntivirusConfig | { exit: number } {
  const settings = commandSettings(args);
  if ('exit' in settings) return settings;
  let config: AntivirusConfig;
  try {
    config = loadAntivirusConfig(path, { lenient: settings.lenient });
  } catch (err) {
    return { exit: reportConfigFailure(err, path, args.io) };
  }
  for (const w of inSourceOrder(config.warnings, (x) => x.position)) args.io.stderr(`${formatWarning(w)}\n`);
  for (const w of fleetSettingsWarnings(settings)) args.io.stderr(`${formatWarning(w)}\n`);
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
