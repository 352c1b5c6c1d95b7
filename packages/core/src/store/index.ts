export type { ObjectStore, PutPartOptions, PutPartResult, StoredObjectInfo } from './object-store';
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
