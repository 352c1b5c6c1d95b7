import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fleetSettingsWarnings, formatWarning, loadAntivirusConfig, resolveFleetSettings, type AntivirusConfig, type FleetRole, type FleetSettings } from '@avfleet/config';
import { createLogger } from '@avfleet/core';
import type pino from 'pino';
import type { CommandArgs } from './command-args';
import { reportConfigFailure, reportSettingsFailure } from './report-config-failure';

/** The bundled example configuration (`scan` without --config): one clamav rule at 127.0.0.1:3310. */
function bundledConfigPath(): string {
  const candidates = [resolve(__dirname, '../../../examples/antivirus.conf'), resolve(__dirname, '../../../../examples/antivirus.conf')];
  return candidates.find((p) => existsSync(p)) ?? candidates[0];
}

export interface Runtime {
  readonly settings: FleetSettings;
  readonly config: AntivirusConfig;
  readonly logger: pino.Logger;
}

/**
 * Settings, then antivirus.conf, then a pino logger; on a problem prints it and returns the exit status.
 * `quiet(settings)`: true = do not print the configuration's warnings (a producer cluster child; its primary did).
 */
export function loadRuntime(args: CommandArgs, role: FleetRole, opts: { quiet?: (settings: FleetSettings) => boolean } = {}): Runtime | { exit: number } {
  let settings: FleetSettings;
  try {
    settings = resolveFleetSettings({ flags: args.flags, env: args.io.env, role, cwd: args.io.cwd });
  } catch (err) {
    return { exit: reportSettingsFailure(err, args.io) };
  }
  const path = settings.configPath ?? (role === 'scan' ? bundledConfigPath() : null);
  if (!path) {
    args.io.stderr(`avfleet ${role}: no configuration: pass --config PATH or set AVFLEET_CONFIG (an antivirus.conf or a directory with local.d/)\n`);
    return { exit: 2 };
  }
  let config: AntivirusConfig;
  try {
    config = loadAntivirusConfig(path, { lenient: settings.lenient });
  } catch (err) {
    const code = reportConfigFailure(err, path, args.io);
    return { exit: code === 1 ? 2 : code };
  }
  if (opts.quiet?.(settings) !== true) {
    for (const w of config.warnings) args.io.stderr(`${formatWarning(w)}\n`);
    // The milter and clamd deadlines are the producer's (AVF_WARN_DEADLINE_CAPPED).
    if (role === 'producer') for (const w of fleetSettingsWarnings(settings)) args.io.stderr(`${formatWarning(w)}\n`);
  }
  const logger = createLogger({ level: settings.logLevel, name: `avfleet-${role}` });
  return { settings, config, logger };
}

/**
 * Resolves when the process is asked to stop (SIGINT/SIGTERM). After that a second signal
 * ends the process (Node's default), unless `ignoreRepeats` keeps catching them.
 */
export function untilSignal(opts: { ignoreRepeats?: boolean } = {}): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals): void => {
      if (opts.ignoreRepeats !== true) {
        process.off('SIGINT', on);
        process.off('SIGTERM', on);
      }
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
