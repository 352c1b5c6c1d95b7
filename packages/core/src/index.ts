/** Public API of @avfleet/core: job contracts, queues, object store, MIME, cache, aggregation, observability. */

// contracts
export { JOB_SCHEMA_VERSION } from './contracts/scan-job-data';
export type { ScanJobContext, ScanJobData, ScanJobResult } from './contracts/scan-job-data';
export type { AggregateJobData } from './contracts/aggregate-job-data';
export { EMPTY_META } from './contracts/request-meta';
export type { RequestMeta } from './contracts/request-meta';
export type { ApiVerdict, PartSummary, PendingScan, ResultSymbol, ScanResult, ScanState } from './contracts/scan-result';
export { isScanId, newScanId } from './contracts/scan-id';

// queues
export { AGGREGATE_QUEUE, resultKey, scanQueueName, sigverKey } from './queue/queue-names';
export { buildScanFlow } from './queue/build-scan-flow';

// object store
export {
  FolderObjectStore, MinioObjectStore, StoreError, createObjectStore, isStoreError, messageKey, partKey,
} from './store';
export type { ObjectStore, ObjectStoreSettings, PutPartResult, StoredObjectInfo, StoreErrorCode } from './store';

// MIME
export {
  DEFAULT_ARCHIVE_LIMITS, DEFAULT_MIME_LIMITS, EICAR_TEST_STRING, MimeError, detectType, extensions, listArchiveMembers, selectBodies, splitMessage,
} from './mime';
export type { BodySelection, MimeLimits, MimePart, SelectedBody, SelectionContext, SplitMessage } from './mime';
export { ARCHIVE_LIMIT_NAMES, DECODED_FACTS_MEMO } from './mime';
export type { ArchiveLimitName, ArchiveListing } from './mime';
export { archiveLimitFails } from './scan/archive-limit-fails';

// verdict cache
export { VerdictCache, cacheKey, decodeCacheValue, decodeOptionsFor, encodeCacheValue, encodeOptionsFor } from './cache';
export type { VerdictCacheEvent, VerdictCacheObserver } from './cache';

// aggregation
export { aggregateScan, rejectThreshold } from './aggregate';
export type { AggregateResult, RuleVerdictInput, SymbolResult, Whitelist } from './aggregate';
export { finishScan } from './scan/finish-scan';
export { ruleToScannerOptions } from './scan/rule-to-scanner-options';
export type { FinishScanInput } from './scan/finish-scan';
export { buildScanResult } from './results/build-scan-result';
export { ResultStore } from './results/result-store';

// runtime and observability
export { checkEvictionPolicy, openRedisConnections } from './runtime/redis-connections';
export { DEFAULT_WHITELIST_CHECK_MS, loadWhitelists } from './runtime/load-whitelists';
export type { IpWhitelist, LoadWhitelistsOptions, RuleWhitelists, WhitelistLogger } from './runtime/load-whitelists';
export { NOOP_LOGGER, REDACTED_PATHS, createLogger } from './observe/logger';
export type { Logger } from './observe/logger';
export { ARCHIVE_LIMIT_LABELS, MESSAGE_LATENCY_BUCKETS, QUEUE_STATES, SCAN_DURATION_BUCKETS, SCAN_VERDICT_LABELS, createFleetMetrics } from './observe/fleet-metrics';
export type { FleetMetrics, FleetMetricsOptions, ServersDownSource } from './observe/fleet-metrics';
export { countFinishedScan } from './observe/count-finished-scan';
