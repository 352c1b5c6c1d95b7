import { homedir } from 'node:os';
import { ConfigError } from '../errors';
import { FLEET_DEFAULTS, MAX_PRODUCER_PROCESSES, MAX_QUEUE_LANES, MAX_WEBHOOK_ATTEMPTS, deepFreeze } from './fleet-defaults';
import type { FleetRole, FleetSettings, HostPort, ListenAddress, StoreSettings } from './fleet-settings';
import {
  parseActionThresholds,
  parseBooleanSetting,
  parseByteSize,
  parseDurationSetting,
  parseStalledInterval,
  parseStoreMode,
  parseStoreRetention,
  parseHostPort,
  parseHostPortList,
  parseIntInRange,
  parseListenAddress,
  parseLogLevel,
  parseName,
  parsePath,
  parsePositiveInt,
  parsePositiveNumber,
  parseQuarantineMode,
  parseQueueList,
  parseRedisUrl,
  parseWebhookUrl,
} from './parse-setting-value';
import { defaultInflightBytes } from './inflight-default';
import { expandPath, parseStoreSetting } from './parse-store-setting';
import { readSettingSources } from './read-env';
import type { RawSetting, SettingFlags } from './read-env';

export interface ResolveFleetSettingsInput {
  readonly flags: SettingFlags;
  readonly env: NodeJS.ProcessEnv;
  readonly role: FleetRole;
  /** Defaults to os.homedir() (for `~` in paths). */
  readonly homeDir?: string;
  /** Defaults to process.cwd() (relative paths from flags and environment). */
  readonly cwd?: string;
}

/**
 * Merge flag, environment, settings file and default (docs/interfaces.md §2),
 * validate every value and return a frozen FleetSettings. Throws one
 * ConfigError (AVF_ERR_CONFIG_SETTINGS) listing every problem found.
 */
export function resolveFleetSettings(input: ResolveFleetSettingsInput): FleetSettings {
  const homeDir = input.homeDir ?? homedir();
  const cwd = input.cwd ?? process.cwd();
  const sources = readSettingSources({ flags: input.flags, env: input.env, cwd });
  const problems: ConfigError[] = [];

  /** Parse the setting when given, else take the default; collect the error and fall back to the default. */
  function take<T>(key: string, parse: (raw: RawSetting) => T, fallback: T): T {
    try {
      const raw = sources.get(key);
      return raw === undefined ? fallback : parse(raw);
    } catch (err) {
      if (err instanceof ConfigError) problems.push(err);
      else throw err;
      return fallback;
    }
  }
  const D = FLEET_DEFAULTS;

  const maxMessageBytes = take('max_message_bytes', parseByteSize, D.maxMessageBytes);
  const configPath = take<string | null>('config', (r) => expandPath(parsePath(r), homeDir, r.baseDir), D.configPath);
  if (configPath === null && (input.role === 'producer' || input.role === 'worker')) {
    problems.push(new ConfigError('AVF_ERR_CONFIG_SETTINGS', `avfleet ${input.role} needs --config PATH (or AVFLEET_CONFIG): the antivirus.conf to serve`));
  }
  const listen = take<HostPort>('listen', parseHostPort, D.listen);
  const metricsDefault = input.role === 'producer' || input.role === 'scan' ? listen : D.workerMetricsListen;
  const s3Region = take('s3_region', (r) => parseName(r, 'an S3 region name'), D.s3Region);
  const store = take<StoreSettings | null>(
    'store',
    (r) =>
      parseStoreSetting({
        store: r,
        s3Endpoint: sources.get('s3_endpoint'),
        s3AccessKey: sources.get('s3_access_key'),
        s3SecretKey: sources.get('s3_secret_key'),
        s3Region,
        homeDir,
      }),
    null,
  ) ?? { kind: 'folder' as const, dir: expandPath(D.store, homeDir, cwd) };

  const settings: FleetSettings = {
    configPath,
    settingsFile: sources.settingsFile,
    redisUrl: take('redis_url', parseRedisUrl, D.redisUrl),
    redisClusterNodes: take<readonly HostPort[] | null>('redis_cluster_nodes', parseHostPortList, D.redisClusterNodes),
    store,
    storeMode: take('store_mode', parseStoreMode, D.storeMode),
    storeRetentionSec: take<number | null>('store_retention', parseStoreRetention, D.storeRetentionSec),
    storeSetLifecycle: take('store_set_lifecycle', parseBooleanSetting, D.storeSetLifecycle),
    listen,
    metricsListen: take('metrics_listen', parseHostPort, metricsDefault),
    queues: take<readonly string[] | null>('queues', parseQueueList, D.queues),
    concurrency: take('concurrency', parsePositiveInt, D.concurrency),
    producerProcesses: take('producer_processes', (r) => parseIntInRange(r, 1, MAX_PRODUCER_PROCESSES), D.producerProcesses),
    queuePrefix: take('queue_prefix', (r) => parseName(r, 'a queue prefix'), D.queuePrefix),
    queueLanes: take<number | null>('queue_lanes', (r) => parseIntInRange(r, 1, MAX_QUEUE_LANES), D.queueLanes),
    maxWaiting: take('max_waiting', parsePositiveInt, D.maxWaiting),
    resultTtlSec: take('result_ttl', (r) => parseDurationSetting(r, true), D.resultTtlSec),
    maxMessageBytes,
    maxInflightBytes: take<number | null>('max_inflight_bytes', (r) => parseInflightBytes(r, maxMessageBytes), null) ?? defaultInflightBytes(maxMessageBytes),
    apiToken: take<string | null>('api_token', (r) => parseName(r, 'a token'), D.apiToken),
    adminToken: take<string | null>('admin_token', (r) => parseName(r, 'a token'), D.adminToken),
    quarantine: {
      mode: take('quarantine', parseQuarantineMode, D.quarantine.mode),
      retentionDays: take('quarantine_days', parsePositiveNumber, D.quarantine.retentionDays),
      maxEntries: take('quarantine_max_entries', parsePositiveInt, D.quarantine.maxEntries),
      maxBytes: take('quarantine_max_bytes', parseByteSize, D.quarantine.maxBytes),
      releaseSmtp: take<HostPort | null>('release_smtp', parseHostPort, D.quarantine.releaseSmtp),
    },
    webhook: {
      url: take<string | null>('webhook_url', parseWebhookUrl, D.webhook.url),
      secret: take<string | null>('webhook_secret', (r) => parseName(r, 'a secret'), D.webhook.secret),
      timeoutSec: take('webhook_timeout', (r) => parseDurationSetting(r, false), D.webhook.timeoutSec),
      attempts: take('webhook_attempts', (r) => parseIntInRange(r, 1, MAX_WEBHOOK_ATTEMPTS), D.webhook.attempts),
      maxWaiting: take('webhook_max_waiting', parsePositiveInt, D.webhook.maxWaiting),
    },
    retroscan: {
      enabled: take('retroscan', parseBooleanSetting, D.retroscan.enabled),
      windowSec: take('retroscan_window', (r) => parseDurationSetting(r, true), D.retroscan.windowSec),
      maxEntries: take('retroscan_max_entries', parsePositiveInt, D.retroscan.maxEntries),
      maxBytes: take('retroscan_max_bytes', parseByteSize, D.retroscan.maxBytes),
      maxCarriers: take('retroscan_max_carriers', (r) => parseIntInRange(r, 1, 1000), D.retroscan.maxCarriers),
      concurrency: take('retroscan_concurrency', (r) => parseIntInRange(r, 1, 64), D.retroscan.concurrency),
      ratePerSec: take('retroscan_rate', (r) => parseIntInRange(r, 1, 100_000), D.retroscan.ratePerSec),
    },
    actions: take('actions', parseActionThresholds, D.actions),
    cacheRspamdCompat: take('cache_rspamd_compat', parseBooleanSetting, D.cacheRspamdCompat),
    archive: {
      maxDepth: take('archive_max_depth', parsePositiveInt, D.archive.maxDepth),
      maxMembers: take('archive_max_members', parsePositiveInt, D.archive.maxMembers),
      maxBytes: take('archive_max_bytes', parseByteSize, D.archive.maxBytes),
      maxRatio: take('archive_max_ratio', parsePositiveNumber, D.archive.maxRatio),
    },
    mime: {
      maxParts: take('mime_max_parts', parsePositiveInt, D.mime.maxParts),
      maxDepth: take('mime_max_depth', parsePositiveInt, D.mime.maxDepth),
      maxHeaderBytes: take('mime_max_header_bytes', parseByteSize, D.mime.maxHeaderBytes),
    },
    logLevel: take('log_level', parseLogLevel, D.logLevel),
    upstream: {
      errorTimeSec: take('upstream_error_time', (r) => parseDurationSetting(r, false), D.upstream.errorTimeSec),
      maxErrors: take('upstream_max_errors', parsePositiveInt, D.upstream.maxErrors),
      reviveTimeSec: take('upstream_revive_time', (r) => parseDurationSetting(r, false), D.upstream.reviveTimeSec),
    },
    stalledIntervalSec: take('stalled_interval', parseStalledInterval, D.stalledIntervalSec),
    lenient: take('lenient_config', parseBooleanSetting, D.lenient),
    clamdListen: take<ListenAddress | null>('clamd_listen', parseListenAddress, D.clamdListen),
    clamdDeadlineSec: take('clamd_deadline', (r) => parseDurationSetting(r, false), D.clamdDeadlineSec),
    milter: {
      listen: take<ListenAddress | null>('milter_listen', parseListenAddress, D.milter.listen),
      deadlineSec: take('milter_deadline', (r) => parseDurationSetting(r, false), D.milter.deadlineSec),
      addHeaders: take('milter_headers', parseBooleanSetting, D.milter.addHeaders),
      maxConnections: take('milter_max_connections', parsePositiveInt, D.milter.maxConnections),
    },
  };

  if (problems.length === 1) throw problems[0];
  if (problems.length > 1) {
    throw new ConfigError('AVF_ERR_CONFIG_SETTINGS', problems.map((p) => p.format()).join('\n'), null, { cause: problems });
  }
  return deepFreeze(settings);
}

/** AVFLEET_MAX_INFLIGHT_BYTES: a byte size that holds at least one message of the largest size. */
function parseInflightBytes(raw: RawSetting, maxMessageBytes: number): number {
  const n = parseByteSize(raw);
  if (n < maxMessageBytes) {
    throw new ConfigError(
      'AVF_ERR_CONFIG_SETTINGS',
      `${raw.origin} must be at least AVFLEET_MAX_MESSAGE_BYTES (${maxMessageBytes}), or no message of the largest size could ever be received; got '${raw.value}'`,
      raw.position,
    );
  }
  return n;
}
