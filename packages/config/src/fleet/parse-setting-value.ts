import { ConfigError } from '../errors';
import { ACTION_NAMES } from '../rules/rule';
import { MIN_STORE_RETENTION_SEC } from './fleet-defaults';
import type { ActionThresholds, HostPort, ListenAddress, LogLevel, QuarantineMode, StoreMode, ThresholdAction } from './fleet-settings';
import { LOG_LEVELS, QUARANTINE_MODES, STORE_MODES } from './fleet-settings';
import type { RawSetting } from './read-env';

/** Parsers for one setting's text; each throws AVF_ERR_CONFIG_SETTINGS naming where the value came from. */

export function invalidSetting(raw: RawSetting, expected: string): ConfigError {
  return new ConfigError('AVF_ERR_CONFIG_SETTINGS', `${raw.origin} must be ${expected}, got '${raw.value}'`, raw.position);
}

const INT = /^\d+$/;
const NUM = /^(\d+(\.\d*)?|\.\d+)$/;

export function parsePositiveInt(raw: RawSetting): number {
  const s = raw.value.trim();
  const n = Number(s);
  if (!INT.test(s) || !Number.isSafeInteger(n) || n < 1) throw invalidSetting(raw, 'a positive integer');
  return n;
}

/** A whole number from `min` to `max`. */
export function parseIntInRange(raw: RawSetting, min: number, max: number): number {
  const s = raw.value.trim();
  const n = Number(s);
  if (!INT.test(s) || !Number.isSafeInteger(n) || n < min || n > max) throw invalidSetting(raw, `a whole number from ${min} to ${max}`);
  return n;
}

export function parsePositiveNumber(raw: RawSetting): number {
  const s = raw.value.trim();
  const n = Number(s);
  if (!NUM.test(s) || !Number.isFinite(n) || n <= 0) throw invalidSetting(raw, 'a positive number');
  return n;
}

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];

export function parseBooleanSetting(raw: RawSetting): boolean {
  const s = raw.value.trim().toLowerCase();
  if (TRUE.includes(s)) return true;
  if (FALSE.includes(s)) return false;
  throw invalidSetting(raw, 'true or false');
}

const DURATION_UNITS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** `3600`, `90s`, `30m`, `2h`, `7d`, `1w` → seconds (fractions allowed: `1.5h`); null when not a duration. */
export function parseDurationSeconds(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw]?)$/i.exec(text.trim());
  if (!m) return null;
  const seconds = Number(m[1]) * DURATION_UNITS[m[2].toLowerCase()];
  return Number.isFinite(seconds) ? seconds : null;
}

/** Positive duration in seconds; plain numbers are seconds. */
export function parseDurationSetting(raw: RawSetting, integer: boolean): number {
  const n = parseDurationSeconds(raw.value);
  if (n === null || n <= 0 || (integer && !Number.isInteger(n))) {
    throw invalidSetting(raw, `a positive ${integer ? 'whole ' : ''}number of seconds (or 30m, 2h, 7d)`);
  }
  return n;
}

/** BullMQ's stalled-check interval in seconds: at least 0.5 (a shorter lock would expire under a busy event loop). */
export function parseStalledInterval(raw: RawSetting): number {
  const n = parseDurationSeconds(raw.value);
  if (n === null || n < 0.5) throw invalidSetting(raw, 'a number of seconds, at least 0.5 (e.g. 30 or 2)');
  return n;
}

/** AVFLEET_STORE_RETENTION: a duration of at least MIN_STORE_RETENTION_SEC, or 0/off/none for no automatic pruning (null). */
export function parseStoreRetention(raw: RawSetting): number | null {
  const s = raw.value.trim().toLowerCase();
  if (['off', 'none', 'false', 'no'].includes(s)) return null;
  const n = parseDurationSeconds(s);
  if (n === 0) return null;
  if (n === null || n < MIN_STORE_RETENTION_SEC) {
    throw invalidSetting(raw, `a duration of at least ${MIN_STORE_RETENTION_SEC}s (e.g. 3d, 12h), or off to keep objects until avfleet store prune`);
  }
  return n;
}

export function parseStoreMode(raw: RawSetting): StoreMode {
  const s = raw.value.trim().toLowerCase();
  const mode = STORE_MODES.find((m) => m === s);
  if (!mode) throw invalidSetting(raw, `one of ${STORE_MODES.join(', ')}`);
  return mode;
}

/** AVFLEET_QUARANTINE: off, reject or virus. */
export function parseQuarantineMode(raw: RawSetting): QuarantineMode {
  const s = raw.value.trim().toLowerCase();
  const mode = QUARANTINE_MODES.find((m) => m === s);
  if (!mode) throw invalidSetting(raw, `one of ${QUARANTINE_MODES.join(', ')}`);
  return mode;
}

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Bytes: `52428800`, or with a binary suffix `50M`, `50MiB`, `512K`, `1G` (K/M/G = 1024-based). */
export function parseByteSize(raw: RawSetting): number {
  const m = /^(\d+)\s*(?:([kmg])(?:i?b)?)?$/i.exec(raw.value.trim());
  const n = m ? Number(m[1]) * SIZE_UNITS[(m[2] ?? '').toLowerCase()] : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw invalidSetting(raw, 'a positive number of bytes (e.g. 52428800 or 50M)');
  return n;
}

/** `HOST:PORT`, `[IPv6]:PORT`, or `:PORT` (all interfaces). Port 0 asks the OS for a free one. */
export function parseHostPort(raw: RawSetting): HostPort {
  const s = raw.value.trim();
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw invalidSetting(raw, 'HOST:PORT (e.g. 127.0.0.1:11333, [::1]:11333 or :11333)');
  const host = m[1] ?? (m[2] === '' ? '0.0.0.0' : m[2]);
  return { host, port };
}

/** `HOST:PORT,HOST:PORT,…` (at least one, each with a host): seed nodes of a Redis Cluster; duplicates dropped. */
export function parseHostPortList(raw: RawSetting): HostPort[] {
  const expected = 'a comma-separated list of HOST:PORT (e.g. 10.0.0.1:7000,10.0.0.2:7000,10.0.0.3:7000)';
  const items = raw.value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw invalidSetting(raw, expected);
  const seen = new Map<string, HostPort>();
  for (const item of items) {
    let hp: HostPort;
    try {
      hp = parseHostPort({ ...raw, value: item });
    } catch {
      throw invalidSetting(raw, expected);
    }
    if (item.startsWith(':') || hp.port === 0) throw invalidSetting(raw, expected);
    seen.set(`${hp.host}:${hp.port}`, hp);
  }
  return [...seen.values()];
}

/** `HOST:PORT` (as parseHostPort), or `unix:PATH` with an absolute PATH. */
export function parseListenAddress(raw: RawSetting): ListenAddress {
  const s = raw.value.trim();
  if (s.startsWith('unix:')) {
    const path = s.slice('unix:'.length);
    if (!path.startsWith('/') || /[\0\n]/.test(path)) throw invalidSetting(raw, 'HOST:PORT or unix:/ABSOLUTE/PATH (e.g. 127.0.0.1:11332 or unix:/run/avfleet/avfleet.sock)');
    return { kind: 'unix', path };
  }
  try {
    return { kind: 'tcp', ...parseHostPort(raw) };
  } catch {
    throw invalidSetting(raw, 'HOST:PORT or unix:/ABSOLUTE/PATH (e.g. 127.0.0.1:11332 or unix:/run/avfleet/avfleet.sock)');
  }
}

export function parseLogLevel(raw: RawSetting): LogLevel {
  const s = raw.value.trim().toLowerCase();
  const level = LOG_LEVELS.find((l) => l === s);
  if (!level) throw invalidSetting(raw, `one of ${LOG_LEVELS.join(', ')}`);
  return level;
}

/** An absolute URL with a host and one of `protocols` (`redis:`), as given; else the setting's error naming `expected`. */
function parseUrlSetting(raw: RawSetting, protocols: readonly string[], expected: string): string {
  const s = raw.value.trim();
  let url: URL | null = null;
  try {
    url = new URL(s);
  } catch {
    url = null;
  }
  if (!url || !protocols.includes(url.protocol) || url.hostname === '') throw invalidSetting(raw, expected);
  return s;
}

export function parseRedisUrl(raw: RawSetting): string {
  return parseUrlSetting(raw, ['redis:', 'rediss:'], 'a redis:// or rediss:// URL (e.g. redis://127.0.0.1:6379/0)');
}

/** AVFLEET_WEBHOOK_URL: an absolute http: or https: URL with a host. */
export function parseWebhookUrl(raw: RawSetting): string {
  return parseUrlSetting(raw, ['http:', 'https:'], 'an http:// or https:// URL (e.g. https://hooks.example.org/avfleet)');
}

/** Plain name: no whitespace, not empty. */
export function parseName(raw: RawSetting, what: string): string {
  const s = raw.value.trim();
  if (s === '' || /\s/.test(s)) throw invalidSetting(raw, `${what} without spaces`);
  return s;
}

/** A file or directory path: not empty (expansion of `~` happens later). */
export function parsePath(raw: RawSetting): string {
  const s = raw.value.trim();
  if (s === '') throw invalidSetting(raw, 'a path');
  return s;
}

/** `clamav,sophos,aggregate` → names in order, duplicates dropped. BullMQ queue names cannot contain `:`. */
export function parseQueueList(raw: RawSetting): string[] {
  const names = raw.value.split(',').map((n) => n.trim()).filter((n) => n !== '');
  if (names.length === 0 || names.some((n) => /[\s:]/.test(n))) {
    throw invalidSetting(raw, 'a comma-separated list of rule names and/or aggregate (e.g. clamav,aggregate)');
  }
  return [...new Set(names)];
}

const THRESHOLD_ACTIONS: readonly ThresholdAction[] = ACTION_NAMES.filter((a): a is ThresholdAction => a !== 'no action');
const ACTIONS_EXPECTED = `a list of ACTION=SCORE pairs (e.g. reject=15,add header=6,greylist=4; actions: ${THRESHOLD_ACTIONS.join(', ')})`;

/** `reject=15,add header=6,greylist=4` → thresholds; `_` may stand for a space (`add_header`). */
export function parseActionThresholds(raw: RawSetting): ActionThresholds {
  const out: Partial<Record<ThresholdAction, number>> = {};
  const pairs = raw.value.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (pairs.length === 0) throw invalidSetting(raw, ACTIONS_EXPECTED);
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = (eq < 0 ? pair : pair.slice(0, eq)).trim().toLowerCase().replace(/_/g, ' ').replace(/\s+/g, ' ');
    const scoreText = eq < 0 ? '' : pair.slice(eq + 1).trim();
    const action = THRESHOLD_ACTIONS.find((a) => a === name);
    const score = /^-?(\d+(\.\d*)?|\.\d+)$/.test(scoreText) ? Number(scoreText) : NaN;
    if (!action || !Number.isFinite(score)) throw invalidSetting(raw, ACTIONS_EXPECTED);
    if (out[action] !== undefined) {
      throw new ConfigError('AVF_ERR_CONFIG_SETTINGS', `${raw.origin} names '${action}' twice in '${raw.value}'; give each action once`, raw.position);
    }
    out[action] = score;
  }
  return Object.freeze(out);
}
