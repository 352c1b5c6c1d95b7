/** The quarantine (after aggregate/ on the message path): re-exported by packages/core/src/index.ts. */
export { createQuarantine } from './quarantine';
export type { KeepInput, Quarantine, QuarantineDeps, RawSource, Released } from './quarantine';
export { MAX_SUBJECT_BYTES, entryOf, envelopeAddress, qualifies, subjectOf } from './quarantine-entry';
export type { QuarantineEntry, QuarantineRelease, QuarantineSymbol } from './quarantine-entry';
export { QuarantineError } from './quarantine-error';
export type { QuarantineErrorCode } from './quarantine-error';
export { DEFAULT_PAGE, MAX_EXAMINED, MAX_PAGE, QuarantineIndex, memberOf, parseCursor, quarantineKeys } from './quarantine-index';
export type { IndexRedis, ListPage, ListQuery, QuarantineStats } from './quarantine-index';
export { openQuarantine } from './open-quarantine';
export { releasedHeaderValue, sendOverSmtp, withReleasedHeader } from './release-message';
export type { Delivery, SendRaw } from './release-message';
export { quarantineExpiryIntervalMs, quarantineExpiryLockKey, scheduleQuarantineExpiry } from './schedule-quarantine-expiry';
