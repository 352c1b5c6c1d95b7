export type { ObjectStore, PruneOptions, PruneReport, PutPartOptions, PutPartResult, StoredObjectInfo } from './object-store';
export { StoreError, isStoreError, STORE_ERROR_CODES } from './store-error';
export type { StoreErrorCode } from './store-error';
export {
  partKey,
  messageKey,
  parseObjectKey,
  assertObjectKey,
  assertSha256Hex,
  assertMessageId,
  assertDigestMatches,
  isSha256Hex,
  isMessageId,
  MESSAGES_PREFIX,
  PARTS_PREFIX,
} from './part-key';
export type { ParsedObjectKey } from './part-key';
export { FolderObjectStore } from './folder-object-store';
export { MinioObjectStore, MINIO_OBJECT_STORE_DEFAULTS, normalizeKeyPrefix } from './minio-object-store';
export type { MinioObjectStoreOptions } from './minio-object-store';
export { createObjectStore, s3EndpointUrl } from './create-object-store';
export type { ObjectStoreSettings, FolderStoreInput, S3StoreInput } from './create-object-store';
export { createTimedTransport, RequestTimeoutError } from './timed-transport';
export type { RequestTransport, TimedTransportOptions } from './timed-transport';
export { STORE_PERMISSIONS, DEFAULT_STORE_MODE, formatMode } from './store-mode';
export type { StoreMode, StorePermissions } from './store-mode';
export { PENDING_SCAN_GUARD_MS, PRUNE_MAX_ENTRIES, isPrunable, pruneCutoff, pruneStore } from './prune-store';
export type { PrunableStore, PruneRun, PruneStoreInput } from './prune-store';
export { pruneIntervalMs, pruneLockKey, scheduleStorePruning } from './schedule-store-pruning';
export type { PruneLockClient, ScheduleStorePruningDeps } from './schedule-store-pruning';
export { avfleetLifecycleRules, expirationDays, storedPrefixes, uncoveredPrefixes } from './bucket-lifecycle';
export type { LifecycleConfigLike, LifecycleRuleLike } from './bucket-lifecycle';
export type { LifecycleCheck } from './minio-object-store';
export { checkStoreAtStartup, fleetStoreInput, openFleetStore, startStoreRetention } from './open-fleet-store';
export type { FleetStoreSettings, StoreRetentionDeps } from './open-fleet-store';
