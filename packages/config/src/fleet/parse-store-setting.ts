import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors';
import type { S3StoreSettings, StoreSettings } from './fleet-settings';
import { invalidSetting } from './parse-setting-value';
import type { RawSetting } from './read-env';

/** `~` or `~/x` → the home directory; relative paths resolve against `baseDir`. */
export function expandPath(path: string, homeDir: string, baseDir: string): string {
  if (path === '~') return homeDir;
  if (path.startsWith('~/')) return join(homeDir, path.slice(2));
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

export interface StoreInputs {
  /** AVFLEET_STORE / --store (when neither is given, resolveFleetSettings uses the default folder without calling this). */
  readonly store: RawSetting;
  readonly s3Endpoint: RawSetting | undefined;
  readonly s3AccessKey: RawSetting | undefined;
  readonly s3SecretKey: RawSetting | undefined;
  readonly s3Region: string;
  readonly homeDir: string;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function parseS3(inputs: StoreInputs): S3StoreSettings {
  const raw = inputs.store;
  const rest = raw.value.trim().slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const keyPrefix = slash < 0 ? '' : rest.slice(slash + 1).replace(/^\/+/, '');
  if (!BUCKET.test(bucket)) {
    throw invalidSetting(raw, 's3://BUCKET[/PREFIX] with a bucket name of 3–63 lower-case letters, digits, dots and hyphens');
  }
  const ep = inputs.s3Endpoint;
  if (!ep) {
    throw new ConfigError(
      'AVF_ERR_CONFIG_SETTINGS',
      `${raw.origin} is an s3:// store, which needs AVFLEET_S3_ENDPOINT (e.g. http://127.0.0.1:9000 for MinIO, https://s3.us-east-1.amazonaws.com for AWS)`,
      raw.position,
    );
  }
  let url: URL | null;
  try {
    url = new URL(ep.value.trim());
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '' || (url.pathname !== '/' && url.pathname !== '')) {
    throw invalidSetting(ep, 'an http:// or https:// URL with no path (e.g. http://127.0.0.1:9000)');
  }
  const useSSL = url.protocol === 'https:';
  const access = inputs.s3AccessKey?.value ?? '';
  const secret = inputs.s3SecretKey?.value ?? '';
  if ((access === '') !== (secret === '')) {
    const missing = access === '' ? 'AVFLEET_S3_ACCESS_KEY' : 'AVFLEET_S3_SECRET_KEY';
    throw new ConfigError('AVF_ERR_CONFIG_SETTINGS', `${missing} is unset while its partner is set; give both S3 keys, or neither for anonymous access`);
  }
  return {
    kind: 's3',
    bucket,
    keyPrefix,
    endpointUrl: ep.value.trim(),
    endpoint: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? (useSSL ? 443 : 80) : Number(url.port),
    useSSL,
    accessKey: access,
    secretKey: secret,
    region: inputs.s3Region,
  };
}

/** A folder (`~` expanded, made absolute), `file:///dir`, or `s3://BUCKET[/PREFIX]` (docs/interfaces.md §2). */
export function parseStoreSetting(inputs: StoreInputs): StoreSettings {
  const raw = inputs.store;
  const value = raw.value.trim();
  if (value === '') throw invalidSetting(raw, 'a directory or s3://BUCKET');
  if (/^s3:\/\//i.test(value)) return parseS3(inputs);
  if (/^file:\/\//i.test(value)) {
    try {
      return { kind: 'folder', dir: fileURLToPath(value) };
    } catch {
      throw invalidSetting(raw, 'a file:///absolute/path URL');
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) throw invalidSetting(raw, 'a directory or s3://BUCKET (no other URL schemes)');
  return { kind: 'folder', dir: expandPath(value, inputs.homeDir, raw.baseDir) };
}
