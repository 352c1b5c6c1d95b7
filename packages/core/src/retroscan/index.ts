/** The retro-scan (after aggregate/ on the message path; off by default): re-exported by packages/core/src/index.ts. */
export { MAX_DETECTIONS, RETRO_EXPIRY_BATCH, RetroMemory, memberOf as retroMemberOf, retroKeys } from './retro-memory';
export type { MemoryBounds, MemoryRedis, MemoryStats, PartLocation, PartOffer, RememberOutcome, RememberedPart } from './retro-memory';
export { carrierOf, createRetroRecorder, offersOf } from './remember-scan';
export type { RememberInput, RetroRecorder } from './remember-scan';
export { createRetroScanStarter, retroQueueName } from './start-retro-scan';
export type { RetroPartJob, RetroQueue, RetroRun, RetroScanStarter, RetroTrigger } from './start-retro-scan';
export { createRescanPart, detectionOf } from './rescan-part';
export type { AnnounceDetection, RescanDeps, RescanOutcome } from './rescan-part';
export { claimVersionRun, onVersionChange, versionGuardKey } from './version-trigger';
export type { GuardRedis } from './version-trigger';
export { retroExpiryIntervalMs, retroExpiryLockKey, scheduleRetroExpiry } from './schedule-retro-expiry';
export { openRetroscan } from './open-retroscan';
export type { OpenedRetroscan, RetroAdmin } from './open-retroscan';
