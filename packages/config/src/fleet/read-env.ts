import { dirname, resolve } from 'node:path';
import type { SourcePosition } from '../source-position';
import { describeSettings } from './describe-settings';
import type { SettingDescriptor } from './describe-settings';
import { readSettingsFile, settingsError } from './read-settings-file';

/** Command-line flags by name without `--` (`{ redis: 'redis://…', lenient: true }`). */
export type SettingFlags = Readonly<Record<string, string | boolean | undefined>>;

/** One setting's text as found, with where it came from (for error messages). */
export interface RawSetting {
  readonly key: string;
  readonly value: string;
  /** What to name in an error: `--concurrency`, `AVFLEET_CONCURRENCY`, or the settings-file key. */
  readonly origin: string;
  /** Set for values from the settings file. */
  readonly position: SourcePosition | null;
  /** Directory relative paths resolve against: the settings file's, else the working directory. */
  readonly baseDir: string;
}

export interface SettingSources {
  /** The AVFLEET_SETTINGS file read (absolute path), or null. */
  readonly settingsFile: string | null;
  /** The winning value for a setting key (flag, then environment, then settings file), or undefined. */
  get(key: string): RawSetting | undefined;
}

function fromFlag(d: SettingDescriptor, flags: SettingFlags, cwd: string): RawSetting | undefined {
  if (d.flag === null) return undefined;
  const v = flags[d.flag];
  if (v === undefined) return undefined;
  const origin = `--${d.flag}`;
  if (typeof v === 'boolean') {
    if (d.valueName === null) return { key: d.key, value: String(v), origin, position: null, baseDir: cwd };
    if (v === false) return undefined;
    throw settingsError(`${origin} needs a value (${d.valueName}), e.g. ${origin} ${d.valueName}`);
  }
  return { key: d.key, value: v, origin, position: null, baseDir: cwd };
}

function fromEnv(d: SettingDescriptor, env: NodeJS.ProcessEnv, cwd: string): RawSetting | undefined {
  const v = env[d.env];
  // An empty variable counts as unset (compose files often write `FOO=`).
  if (v === undefined || v === '') return undefined;
  return { key: d.key, value: v, origin: d.env, position: null, baseDir: cwd };
}

/**
 * Gather setting values from flags, the environment and the AVFLEET_SETTINGS
 * file (docs/interfaces.md §2 precedence). Values stay text here; parsing and
 * validation happen in `resolveFleetSettings`.
 */
export function readSettingSources(input: { flags: SettingFlags; env: NodeJS.ProcessEnv; cwd?: string }): SettingSources {
  const cwd = input.cwd ?? process.cwd();
  const descriptors = describeSettings();
  const byKey = new Map(descriptors.map((d) => [d.key, d]));
  const fileKeys = descriptors.map((d) => d.key).filter((k) => k !== 'settings');
  const settingsPath = input.env.AVFLEET_SETTINGS;
  const file = settingsPath ? readSettingsFile(resolve(cwd, settingsPath), fileKeys) : null;
  const fileDir = file ? dirname(file.path) : cwd;
  return {
    settingsFile: file ? file.path : null,
    get(key: string): RawSetting | undefined {
      const d = byKey.get(key);
      if (!d) throw new Error(`readSettingSources: no setting '${key}'`);
      const flag = fromFlag(d, input.flags, cwd);
      if (flag) return flag;
      const env = fromEnv(d, input.env, cwd);
      if (env) return env;
      const entry = file?.entries.get(key);
      return entry ? { key, value: entry.value, origin: key, position: entry.position, baseDir: fileDir } : undefined;
    },
  };
}
