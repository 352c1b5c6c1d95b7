/**
 * Public API of @avfleet/core, in the order a message travels (docs/architecture.md):
 * intake → scan → aggregate, over the queue, observed; then the building blocks
 * (MIME, object store, verdict cache, contracts).
 */

// intake: accept a message, plan its scan, probe the cache, answer by a deadline
export { acceptMessage, createIntake } from './intake/accept-message';
export type { AcceptedMessage, CacheProbe, Intake, IntakeDeps } from './intake/accept-message';
export { MAX_REQUESTED_SEC, MAX_WAIT_SEC, createMessageSubmitter } from './intake/submit-message';
export type { MessageSubmitter, Submission, SubmitDeps, SubmitOutcome } from './intake/submit-message';
export { IntakeError, OUTAGE_RETRY_AFTER_SEC } from './intake/intake-error';
export { BUSY_RETRY_AFTER_SEC, InflightBudget, busyError } from './intake/inflight-budget';
export type { Reservation } from './intake/inflight-budget';
export type { IntakeErrorCode } from './intake/intake-error';
export { INTAKE_TIMEOUT_MS, guarded, within } from './intake/within';
export { ResultWaiter } from './intake/await-result';
export { createScanCanceller } from './intake/cancel-scan';
export { Backpressure } from './intake/backpressure';
export { archiveLimitFails } from './intake/archive-limit-fails';
export { openIntake, scanStatusOf } from './intake/open-intake';
export type { OpenIntakeOptions, OpenedIntake, ScanStatus } from './intake/open-intake';

// scan: one part under one rule → a verdict
export { createScanPart, signatureVersionWithin } from './scan/scan-part';
export type { ScanPart, ScanPartDeps } from './scan/scan-part';
export { ruleToScannerOptions } from './scan/rule-to-scanner-options';
export { SIGVER_TTL_SEC, SignatureVersions, publishSignatureVersions } from './scan/signature-versions';

// aggregate: part verdicts → symbols, score, action → the stored result
export { aggregateScan, rejectThreshold } from './aggregate';
export type { AggregateResult, RuleVerdictInput, SymbolResult, Whitelist } from './aggregate';
export {
  MAX_ADDRESS_BYTES, MAX_HOST_BYTES, MAX_MESSAGE_BYTES, MAX_META_BYTES, MAX_NAME_BYTES, MAX_QUEUE_ID_BYTES, MAX_RECIPIENTS, MAX_RESULT_PARTS,
  boundAddress, boundField, boundHost, boundName, boundQueueId, boundRequestMeta, boundText,
} from './contracts/field-bounds';
export type { BoundedMeta, MetaField } from './contracts/field-bounds';
export { createAggregationJob, createAggregator, parentJobOf, scanRedisBytes } from './aggregate/aggregate-job';
export type { Aggregator, AggregatorDeps, FinishedWithoutFlow, ParentJob } from './aggregate/aggregate-job';
export { aggregationContextOf, finishScan } from './aggregate/finish-scan';
export type { AggregationContext, FinishScanInput } from './aggregate/finish-scan';
export { buildScanResult } from './aggregate/build-scan-result';
export { ResultStore } from './aggregate/result-store';
export { countFinishedScan } from './aggregate/count-finished-scan';
export { DEFAULT_WHITELIST_CHECK_MS, loadWhitelists } from './aggregate/load-whitelists';
export type { IpWhitelist, LoadWhitelistsOptions, RuleWhitelists, WhitelistLogger } from './aggregate/load-whitelists';

// quarantine: finished scans kept with their metadata, listed, released, deleted, expired
export {
  DEFAULT_PAGE, MAX_EXAMINED, MAX_PAGE, MAX_SUBJECT_BYTES, QuarantineError, QuarantineIndex, createQuarantine, entryOf, envelopeAddress, memberOf, openQuarantine,
  parseCursor, qualifies, quarantineExpiryIntervalMs, quarantineExpiryLockKey, quarantineKeys, releasedHeaderValue, scheduleQuarantineExpiry, sendOverSmtp,
  subjectOf, withReleasedHeader,
} from './quarantine';
export type {
  Delivery, IndexRedis, KeepInput, ListPage, ListQuery, Quarantine, QuarantineDeps, QuarantineEntry, QuarantineErrorCode, QuarantineRelease, QuarantineStats,
  QuarantineSymbol, RawSource, Released, SendRaw,
} from './quarantine';
// notify: the webhook outbox that delivers retro detections (signed, retried, bounded)
export {
  DEFAULT_TOLERANCE_SEC, EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, WEBHOOK_BACKOFF_MS, WEBHOOK_CONCURRENCY, WEBHOOK_QUEUE, classifyWebhookAttempt,
  createWebhookOutbox, createWebhookProcessor, describeWebhookAttempt, openWebhookOutbox, postWebhook, serveWebhookQueue, verifyWebhookSignature, webhookBody, webhookHeaders,
  webhookJobOptions, webhookQueuePrefix, webhookSignature,
} from './notify';
export type { OutboxQueue, ServedWebhookQueue, WebhookAttempt, WebhookDisposition, WebhookJobData, WebhookOutbox, WebhookTarget, WebhookVerdict } from './notify';

// retroscan: clean parts remembered for the window, scanned again when signatures change or on demand
export {
  MAX_DETECTIONS, RETRO_EXPIRY_BATCH, RetroMemory, carrierOf, claimVersionRun, createRescanPart, createRetroRecorder, createRetroScanStarter, detectionOf,
  offersOf, onVersionChange, openRetroscan, retroExpiryIntervalMs, retroExpiryLockKey, retroKeys, retroMemberOf, retroQueueName,
  scheduleRetroExpiry, versionGuardKey,
} from './retroscan';
export type {
  AnnounceDetection, GuardRedis, MemoryBounds, MemoryRedis, MemoryStats, OpenedRetroscan, PartLocation, PartOffer, RememberInput, RememberOutcome,
  RememberedPart, RescanDeps, RescanOutcome, RetroAdmin, RetroPartJob, RetroQueue, RetroRecorder, RetroRun, RetroScanStarter, RetroTrigger,
} from './retroscan';
export { scheduleFleetWide } from './queue/schedule-fleet-wide';
export type { FleetLockClient } from './queue/schedule-fleet-wide';

// queue: names, options, part jobs and the scan's state, Redis connections
export { AGGREGATE_QUEUE, resultChannel, resultKey, scanQueueName, scanStateKey, sigverKey } from './queue/queue-names';
export { oldestPendingScanMs } from './queue/oldest-pending-scan';
export { CLUSTER_SLOTS, clusterMasters, keySlot, laneQueuePrefixes, openQueueLanes } from './queue/queue-lanes';
export type { QueueLanes } from './queue/queue-lanes';
export { partJobsByQueue, scanJobId } from './queue/part-jobs';
export { ScanStateStore } from './queue/scan-state';
export type { RecordedScan } from './queue/scan-state';
export { createScanEnqueuer } from './queue/enqueue-scan';
export { createPartCompleter, enqueueAggregation, failedPartResult } from './queue/complete-part';
export type { AggregateScan, CompletePart } from './queue/complete-part';
export { checkEvictionPolicy, openOneShotRedis, openRedisConnections } from './queue/redis-connections';

// observe: logs, metrics, the ops listener
export { NOOP_LOGGER, REDACTED_PATHS, createLogger } from './observe/logger';
export type { Logger } from './observe/logger';
export {
  ARCHIVE_LIMIT_LABELS, MESSAGE_LATENCY_BUCKETS, QUEUE_STATES, SCAN_DURATION_BUCKETS, SCAN_VERDICT_LABELS, STORE_PRUNE_OUTCOMES, WEBHOOK_OUTCOMES, createFleetMetrics,
} from './observe/fleet-metrics';
export type { FleetMetrics, FleetMetricsOptions, ServersDownSource, WebhookOutcome } from './observe/fleet-metrics';
export { READINESS_TIMEOUT_MS, buildOpsServer, listenOn, opsRouteOf, sendJson, serveOpsRoute } from './observe/ops-server';
export type { ComponentState, OpsCaller, OpsRoute, OpsSources, Readiness } from './observe/ops-server';
export { readinessCheck } from './observe/readiness';
export { sampleQueueDepths } from './observe/sample-queue-depths';
export { parseInfoFields, sampleRedisHealth } from './observe/sample-redis-health';
export type { RuleReadiness } from './observe/readiness';

// MIME
export {
  DEFAULT_ARCHIVE_LIMITS, DEFAULT_MIME_LIMITS, EICAR_TEST_STRING, MimeError, detectType, extensions, listArchiveMembers, selectBodies, splitAs, splitAsSingleFile, splitMessage,
} from './mime';
export type { BodyShape, BodySelection, MimeLimits, MimePart, SelectedBody, SelectionContext, SplitMessage } from './mime';
export { ARCHIVE_LIMIT_NAMES, DECODED_FACTS_MEMO } from './mime';
export type { ArchiveLimitName, ArchiveListing } from './mime';

// object store
export {
  FolderObjectStore, MinioObjectStore, StoreError, createObjectStore, isStoreError, messageKey, partKey,
  STORE_PERMISSIONS, fleetStoreInput, isPrunable, openFleetStore, pruneCutoff, pruneStore, startStoreRetention,
} from './store';
export type { ObjectStore, ObjectStoreSettings, PruneReport, PutPartResult, StoredObjectInfo, StoreErrorCode } from './store';

// verdict cache
export { RuleVerdictCache, VerdictCache, cacheKey, decodeCacheValue, decodeOptionsFor, encodeCacheValue, encodeOptionsFor } from './cache';
export type { RuleCacheLookup, VerdictCacheEvent, VerdictCacheObserver } from './cache';

// contracts: job data and results as they cross processes
export { JOB_SCHEMA_VERSION, WHOLE_READ_MAX_BYTES } from './contracts/scan-job-data';
export type { ScanJobContext, ScanJobData, ScanJobResult } from './contracts/scan-job-data';
export type { AggregateJobData, AggregateJobRef } from './contracts/aggregate-job-data';
export { EMPTY_META } from './contracts/request-meta';
export type { RequestMeta } from './contracts/request-meta';
export type { RetroCarrier, RetroDetection } from './contracts/retro-detection';
export type { ApiVerdict, PartSummary, PendingScan, ResultSymbol, ScanResult, ScanState } from './contracts/scan-result';
export { isScanId, newScanId, scanIdTime } from './contracts/scan-id';
