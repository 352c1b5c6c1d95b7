import type { Readable } from 'node:stream';

/** What `stat` reports about one stored object. */
export interface StoredObjectInfo {
  /** The logical key (`messages/…` or `parts/<sha256>`), whatever the backend's own path. */
  key: string;
  size: number;
  /** When the bytes were written (a dedup hit does not change it). */
  lastModified: Date;
}

/** What `putPart` did. */
export interface PutPartResult {
  key: string;
  /** false when an object already sat under that digest and nothing was written. */
  created: boolean;
}

/** How `putPart` treats the digest it is given. */
export interface PutPartOptions {
  /**
   * The caller computed `sha256` from these very bytes (the same Buffer,
   * unchanged since), as the producer's intake does when it selects the parts
   * of a message it just split: the store then does not hash them a second
   * time. Without it (the default) the store checks the digest itself.
   */
  readonly digestFromData?: boolean;
}

/**
 * Where raw messages and part bodies live (docs/interfaces.md §5): a local folder
 * or an S3 bucket, one interface. Every method validates its key (see
 * `part-key.ts`) and fails with a `StoreError`:
 * AVF_ERR_STORE_INVALID_KEY for a bad key/id/digest, AVF_ERR_STORE_NOT_FOUND
 * from `get`/`getStream` on a missing key, AVF_ERR_STORE_UNAVAILABLE when the
 * backend does not answer.
 */
export interface ObjectStore {
  readonly kind: 'folder' | 's3';
  /**
   * Stores a raw message; returns its key `messages/YYYY/MM/DD/<id>.eml` (UTC date of `at`, default now).
   * `record`: bytes kept with the message in the same object, read back by `getMessageRecord`
   * (the request a rescan needs, D69; store/message-trailer.ts) — every other reader of the key
   * gets `data` alone. A record over MAX_RECORD_BYTES is refused with a RangeError.
   */
  putMessage(id: string, data: Buffer, at?: Date, record?: Buffer): Promise<string>;
  /** The record stored with the message under `key` (null: none); a missing key is AVF_ERR_STORE_NOT_FOUND. */
  getMessageRecord(key: string): Promise<Buffer | null>;
  /**
   * Ids of the messages stored under the UTC day of `day` (`messages/YYYY/MM/DD/`), in
   * ascending order, at most `limit` (the first ones): the rebuild after a Redis data loss
   * lists the recent days (intake/recover-from-store.ts).
   */
  listMessageIds(day: Date, limit: number): Promise<string[]>;
  /**
   * Stores a part body under `parts/<sha256>` unless one is there already
   * (stat first; an existing object is not rewritten). `sha256` must be the
   * SHA-256 of `data`: a mismatch is refused with AVF_ERR_STORE_INVALID_KEY
   * (not checked again when `options.digestFromData` says the caller hashed these bytes).
   */
  putPart(sha256: string, data: Buffer, options?: PutPartOptions): Promise<PutPartResult>;
  /** Stores a quarantined message; returns its key `quarantine/<id>.eml`, which the store's retention never removes. */
  putQuarantined(id: string, data: Buffer): Promise<string>;
  /** The object's bytes; for a message key the message alone, without the record stored with it. */
  get(key: string): Promise<Buffer>;
  /**
   * `length` bytes from byte `offset` of the object (a ranged read: `pread` on a folder, a
   * ranged GET on S3). Fewer bytes when the object ends before the range does; a missing key
   * is AVF_ERR_STORE_NOT_FOUND like `get`. A message keeps its offsets whatever is stored
   * with it: a range within the message reads the message's bytes (the part jobs' ranges,
   * D59, always lie within it); one running past the message's end is the caller's mistake.
   * The buffer is the caller's alone (no other reader shares its memory): scan/read-job-body.ts
   * decodes base64 over it.
   */
  getRange(key: string, offset: number, length: number): Promise<Buffer>;
  /**
   * The body as a stream (a message key: the message alone); a missing key rejects before any
   * stream exists. The caller consumes or destroys it.
   */
  getStream(key: string): Promise<Readable>;
  /** null when there is no object under `key`. The size is the stored object's (a message's record included). */
  stat(key: string): Promise<StoredObjectInfo | null>;
  exists(key: string): Promise<boolean>;
  /** Removes the object; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Resolves when the store answers; throws StoreError AVF_ERR_STORE_UNAVAILABLE otherwise (for /readyz and 503). */
  ping(): Promise<void>;
  /**
   * Folder store only (an S3 bucket expires objects by its lifecycle rule):
   * removes objects last written or re-used before `cutoff`, within a bound
   * on the work done. prune-store.ts decides the cutoff.
   */
  prune?(options: PruneOptions): Promise<PruneReport>;
}

export interface PruneOptions {
  /** Objects whose age (mtime; for a part the later of mtime and atime) is before this go. */
  readonly cutoff: Date;
  /** Stop after about this many store entries examined (the folder in hand is finished first). @defaultValue no bound */
  readonly maxEntries?: number;
}

/** What one prune did. */
export interface PruneReport {
  messages: number;
  parts: number;
  /** Bytes of the objects removed. */
  bytes: number;
  /** Store entries looked at. */
  examined: number;
  /** false when `maxEntries` cut the walk short (the next run carries on). */
  complete: boolean;
}
