/** Public API of @avfleet/config: errors, the UCL parser, the antivirus rule model and fleet settings. */

// errors and positions
export { ConfigError, ConfigErrors, formatWarning } from './errors';
export type { ConfigErrorCode, ConfigWarning, ConfigWarningCode } from './errors';
export { formatPosition, inSourceOrder } from './source-position';
export type { SourcePosition } from './source-position';

// UCL
export { isImplicitArray, keyPositions, objectPosition, parseUcl, parseUclFile, toJson } from './ucl';
export type { DuplicateStrategy, UclObject, UclParseOptions, UclParseResult, UclValue } from './ucl';

// antivirus rules
export { buildAntivirusConfig, loadAntivirusConfig, rulesToJson, UCL_POSITIONS } from './load-antivirus-conf';
export type { AntivirusConfig, BuildContext, LoadOptions } from './load-antivirus-conf';
export { ACTION_NAMES } from './rules/rule';
export type {
  ActionName,
  CategorySymbol,
  CompiledPattern,
  RateLimit,
  Rule,
  RuleCommon,
  RuleOf,
  RuleSpecificOptions,
  VerdictTrigger,
} from './rules/rule';
export {
  DEFAULT_DESCRIPTION,
  DEFAULT_GROUP,
  HASH_CATEGORY_DEFAULTS,
  MESSAGE_FALLBACK,
  SCANNER_DEFAULTS,
} from './rules/scanner-defaults';
export type { ScannerDefaults } from './rules/scanner-defaults';
export { formatServerEntry, parseServerEntry, parseServers } from './rules/parse-servers';
export type { ParsedServers } from './rules/parse-servers';
export { compilePattern, firstMatch, patternMatches } from './rules/compile-pattern';
export type { PatternContext } from './rules/compile-pattern';
export { parseActionName, parseRateLimit, VERDICT_TRIGGERS } from './rules/rule-values';
export type { SymbolScore } from './rules/symbol-scores';
export { configDigest, ruleToJson } from './rules/rules-to-json';
export {
  parseIpRange,
  parseWhitelistLine,
  parseWhitelistMap,
  readWhitelistFile,
  whitelistHasIp,
  whitelistHasName,
} from './rules/whitelist-map';
export type { IpRange, WhitelistMap } from './rules/whitelist-map';
export { NO_POSITIONS } from './rules/ucl-view';
export type { TreeObject, TreePositions, TreeValue } from './rules/ucl-view';

// fleet settings
export {
  defaultInflightBytes,
  describeSettings,
  expandPath,
  FLEET_DEFAULTS,
  fleetSettingsWarnings,
  formatActionThresholds,
  LOG_LEVELS,
  MAX_DEADLINE_SEC,
  MIN_STORE_RETENTION_SEC,
  STORE_MODES,
  parseDurationSeconds,
  readSettingSources,
  readSettingsFile,
  redactSettings,
  resolveFleetSettings,
  settingsToMarkdown,
} from './fleet';
export type {
  ActionThresholds,
  ArchiveLimits,
  MimeLimitSettings,
  FleetDefaults,
  FleetRole,
  FleetSettings,
  FolderStoreSettings,
  HostPort,
  ListenAddress,
  LogLevel,
  MilterSettings,
  RawSetting,
  ResolveFleetSettingsInput,
  S3StoreSettings,
  SettingDescriptor,
  SettingFlags,
  SettingSources,
  SettingsFile,
  SettingsFileEntry,
  StoreMode,
  QuarantineMode,
  QuarantineSettings,
  RetroscanSettings,
  StoreSettings,
  ThresholdAction,
  WebhookSettings,
} from './fleet';
