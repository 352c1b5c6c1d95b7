/** Fleet settings (docs/interfaces.md §2): re-exported by packages/config/src/index.ts. */
export { FLEET_DEFAULTS, MAX_DEADLINE_SEC, MAX_PRODUCER_PROCESSES, MAX_QUEUE_LANES, MAX_WEBHOOK_ATTEMPTS, MIN_STORE_RETENTION_SEC } from './fleet-defaults';
export type { FleetDefaults } from './fleet-defaults';
export { LOG_LEVELS, STORE_MODES } from './fleet-settings';
export type {
  ActionThresholds,
  ArchiveLimits,
  MimeLimitSettings,
  FleetRole,
  FleetSettings,
  FolderStoreSettings,
  HostPort,
  ListenAddress,
  LogLevel,
  MilterSettings,
  S3StoreSettings,
  StoreMode,
  QuarantineMode,
  QuarantineSettings,
  RetroscanSettings,
  StoreSettings,
  ThresholdAction,
  WebhookSettings,
} from './fleet-settings';
export { describeSettings, formatActionThresholds, settingsToMarkdown } from './describe-settings';
export type { SettingDescriptor } from './describe-settings';
export { readSettingSources } from './read-env';
export type { RawSetting, SettingFlags, SettingSources } from './read-env';
export { readSettingsFile } from './read-settings-file';
export type { SettingsFile, SettingsFileEntry } from './read-settings-file';
export { parseDurationSeconds } from './parse-setting-value';
export { expandPath } from './parse-store-setting';
export { defaultInflightBytes } from './inflight-default';
export { resolveFleetSettings } from './resolve-fleet-settings';
export type { ResolveFleetSettingsInput } from './resolve-fleet-settings';
export { redactSettings } from './redact-settings';
export { fleetSettingsWarnings } from './settings-warnings';
