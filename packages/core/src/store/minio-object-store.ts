import { Client } from 'minio';
import type { Readable } from 'node:stream';
import { isS3NotFound, mapS3Error, s3ErrorCode } from './map-s3-error';
import type { ObjectStore, PutPartOptions, PutPartResult, StoredObjectInfo } from './object-store';
import { assertPartDigest, assertRange, isMessageId, messageKey, parseObjectKey, partKey, quarantineKey } from './part-key';
import { StoreError } from './store-error';
import { heldBackBytes, messageOnlyStream, messageTrailer, splitStoredMessage } from './message-trailer';
import { avfleetLifecycleRules, rulesOf, uncoveredPrefixes, type LifecycleConfigLike } from './bucket-lifecycle';
import { createTimedTransport } from './timed-transport';

/** What `checkLifecycle` found: the prefixes without an expiration rule, or that the bucket could not say. */
export type LifecycleCheck =
  | { readonly known: true; readonly uncovered: readonly string[] }
  | { readonly known: false; readonly error: string };

export interface MinioObjectStoreOptions {
  readonly bucket: string;
  /** `http://host:port` or `https://host[:port]` (AVFLEET_S3_ENDPOINT). */
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  /** @defaultValue `us-east-1` */
  readonly region?: string;
  /** Prefix of every object name, from `s3://BUCKET/PREFIX/` (a `/` is appended when missing). @defaultValue '' */
  readonly keyPrefix?: string;
  /** Silence allowed before an answer, connecting included. @defaultValue 5000 */
  readonly requestTimeoutMs?: number;
  /** Silence allowed while a body is read (a `getStream` left unread that long errors). @defaultValue 60000 */
  readonly bodyIdleTimeoutMs?: number;
  /**
   * A `putPart` that finds the part written longer ago than this writes it
   * again, so the bucket's expiration rule (which counts from the last write)
   * does not remove a part a new scan re-uses. Half the retention; null never.
   * @defaultValue null
   */
  readonly refreshPartsOlderThanMs?: number | null;
}

export const MINIO_OBJECT_STORE_DEFAULTS = {
  region: 'us-east-1',
  requestTimeoutMs: 5000,
  bodyIdleTimeoutMs: 60000,
} as const satisfies Required<Pick<MinioObjectStoreOptions, 'region' | 'requestTimeoutMs' | 'bodyIdleTimeoutMs'>>;

/** S3 bucket naming rules (3–63 chars, lowercase letters, digits, dots, hyphens). */
const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function settingsError(message: string, cause?: unknown): StoreError {
  return new StoreError('AVF_ERR_STORE_UNAVAILABLE', message, { cause });
}

/** '' or `a/b/`: safe characters, no empty, `.` or `..` segment, no leading slash. */
export function normalizeKeyPrefix(prefix: string | undefined): string {
  const p = (prefix ?? '').replace(/\/+$/, '');
  if (p === '') return '';
  const segments = p.split('/');
  if (!/^[A-Za-z0-9._/-]+$/.test(p) || segments.some((seg) => seg === '' || seg === '.' || seg === '..')) {
    throw settingsError(
      `S3 key prefix ${JSON.stringify(prefix)} is not valid: use path segments of letters, digits, '.', '_' and '-' (AVFLEET_STORE=s3://BUCKET/PREFIX/)`,
    );
  }
  return `${p}/`;
}

function parseEndpoint(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (err) {
    throw settingsError(`S3 endpoint ${JSON.stringify(endpoint)} is not a URL: set AVFLEET_S3_ENDPOINT to e.g. http://minio:9000`, err);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '' || (url.pathname !== '/' && url.pathname !== '')) {
    throw settingsError(
      `S3 endpoint ${JSON.stringify(endpoint)} must be http(s)://HOST[:PORT] with no path: set AVFLEET_S3_ENDPOINT to e.g. http://minio:9000`,
    );
  }
  return url;
}

/**
 * An S3 bucket through the `minio` v8 client (MinIO, AWS S3, s3rver, …).
 * Object names are the logical keys behind an optional `keyPrefix`. The bucket is created on first use
 * when missing (checked once, then cached). Every request is bounded by
 * `requestTimeoutMs` of silence, so an unreachable store fails fast with
 * AVF_ERR_STORE_UNAVAILABLE. The client's own retries are off (they log to
 * the console); callers retry (BullMQ) or answer 503 (producer).
 * Retention is the bucket's lifecycle rules (bucket-lifecycle.ts): there is no `prune`.
 */
export class MinioObjectStore implements ObjectStore {
  readonly kind = 's3' as const;
  readonly bucket: string;
  /** The endpoint as given, for messages. */
  readonly endpoint: string;
  readonly region: string;
  /** '' or a prefix ending in `/` put before every logical key. */
  readonly keyPrefix: string;
  private readonly client: Client;
  private readonly refreshPartsOlderThanMs: number | null;
  private bucketReady: Promise<void> | null = null;

  constructor(options: MinioObjectStoreOptions) {
    const url = parseEndpoint(options.endpoint);
    if (typeof options.bucket !== 'string' || !BUCKET_RE.test(options.bucket) || options.bucket.includes('..')) {
      throw settingsError(
        `S3 bucket name ${JSON.stringify(options.bucket)} is not valid: use 3 to 63 lowercase letters, digits, dots or hyphens (AVFLEET_STORE=s3://BUCKET)`,
      );
    }
    this.bucket = options.bucket;
    this.endpoint = `${url.protocol}//${url.host}`;
    this.region = options.region || MINIO_OBJECT_STORE_DEFAULTS.region;
    this.keyPrefix = normalizeKeyPrefix(options.keyPrefix);
    this.refreshPartsOlderThanMs = options.refreshPartsOlderThanMs ?? null;
    const useSSL = url.protocol === 'https:';
    try {
      this.client = new Client({
        endPoint: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port ? Number(url.port) : useSSL ? 443 : 80,
        useSSL,
        accessKey: options.accessKey ?? '',
        secretKey: options.secretKey ?? '',
        region: this.region,
        pathStyle: true,
        transport: createTimedTransport(url.protocol as 'http:' | 'https:', {
          requestTimeoutMs: options.requestTimeoutMs ?? MINIO_OBJECT_STORE_DEFAULTS.requestTimeoutMs,
          bodyIdleTimeoutMs: options.bodyIdleTimeoutMs ?? MINIO_OBJECT_STORE_DEFAULTS.bodyIdleTimeoutMs,
        }),
        retryOptions: { disableRetry: true },
      });
    } catch (err) {
      throw settingsError(`cannot use S3 endpoint ${this.endpoint}: ${(err as Error).message}; check AVFLEET_S3_ENDPOINT and AVFLEET_S3_REGION`, err);
    }
  }

  async putMessage(id: string, data: Buffer, at: Date = new Date(), record?: Buffer): Promise<string> {
    const key = messageKey(id, at);
    // The record follows the message in the same PUT (D69).
    await this.putObject(key, record ? Buffer.concat([data, messageTrailer(id, record)]) : data, 'message/rfc822');
    return key;
  }

  /** One suffix read of the object's last bytes (the footer and the largest record fit in them). */
  async getMessageRecord(key: string): Promise<Buffer | null> {
    const parsed = parseObjectKey(key);
    if (parsed.kind !== 'message') return null;
    const st = await this.stat(key);
    if (!st) throw new StoreError('AVF_ERR_STORE_NOT_FOUND', `no object ${key} in bucket ${this.ctx('get', key).bucket} at ${this.endpoint}`, { key });
    const length = Math.min(st.size, heldBackBytes(parsed.id));
    const tail = await this.getRange(key, st.size - length, length);
    return splitStoredMessage(parsed.id, tail).record;
  }

  async putQuarantined(id: string, data: Buffer): Promise<string> {
    // Outside messages/ and parts/, the prefixes avfleet's expiration rules cover.
    const key = quarantineKey(id);
    await this.putObject(key, data, 'message/rfc822');
    return key;
  }

  async putPart(sha256: string, data: Buffer, options?: PutPartOptions): Promise<PutPartResult> {
    const key = partKey(sha256);
    assertPartDigest(sha256, data, options);
    const existing = await this.stat(key);
    if (existing) {
      const age = Date.now() - existing.lastModified.getTime();
      // Re-written when old, so the expiration rule counts from this re-use.
      if (this.refreshPartsOlderThanMs !== null && age > this.refreshPartsOlderThanMs) await this.putObject(key, data, 'application/octet-stream');
      return { key, created: false };
    }
    await this.putObject(key, data, 'application/octet-stream');
    return { key, created: true };
  }

  /** Reads the bucket's lifecycle configuration: which avfleet prefixes no expiration rule covers. Never throws. */
  async checkLifecycle(): Promise<LifecycleCheck> {
    try {
      return { known: true, uncovered: uncoveredPrefixes(await this.readLifecycle(), this.keyPrefix) };
    } catch (err) {
      return { known: false, error: err instanceof Error ? err.message : String(err) };
    }
  }

  /** Adds avfleet's expiration rules (`days` after the last write) to the bucket's, keeping every other rule. */
  async addExpirationRules(days: number): Promise<void> {
    await this.ensureBucket();
    const ours = avfleetLifecycleRules(this.keyPrefix, days);
    const others = rulesOf(await this.readLifecycle()).filter((r) => !ours.some((o) => o.ID === r.ID));
    try {
      await this.client.setBucketLifecycle(this.bucket, { Rule: [...others, ...ours] as never });
    } catch (err) {
      throw mapS3Error(err, this.ctx('set lifecycle of', undefined));
    }
  }

  /** The bucket's lifecycle configuration; null when it has none. */
  private async readLifecycle(): Promise<LifecycleConfigLike | null> {
    try {
      return ((await this.client.getBucketLifecycle(this.bucket)) as LifecycleConfigLike | null) ?? null;
    } catch (err) {
      if (s3ErrorCode(err) === 'NoSuchLifecycleConfiguration') return null;
      throw mapS3Error(err, this.ctx('read lifecycle of', undefined));
    }
  }

  /** One listing of the day's prefix (S3 lists keys in ascending order), stopped after `limit`. */
  async listMessageIds(day: Date, limit: number): Promise<string[]> {
    const prefix = this.objectName(messageKey('x', day)).replace(/x\.eml$/, '');
    const ids: string[] = [];
    if (limit <= 0) return ids;
    const stream = this.client.listObjectsV2(this.bucket, prefix, false);
    try {
      for await (const item of stream as AsyncIterable<{ name?: string }>) {
        const name = item.name?.slice(prefix.length) ?? '';
        const id = name.endsWith('.eml') ? name.slice(0, -4) : '';
        if (isMessageId(id)) ids.push(id);
        if (ids.length >= limit) break;
      }
    } catch (err) {
      if (s3ErrorCode(err) === 'NoSuchBucket') return ids;
      throw mapS3Error(err, this.ctx('list', prefix));
    } finally {
      (stream as { destroy?: () => void }).destroy?.();
    }
    return ids;
  }

  async get(key: string): Promise<Buffer> {
    const parsed = parseObjectKey(key);
    const bytes = await this.readAll(await this.getObject(key), key);
    return parsed.kind === 'message' ? splitStoredMessage(parsed.id, bytes).message : bytes;
  }

  /** One ranged GET (`Range: bytes=offset-(offset+length-1)`); an empty range asks nothing. */
  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    parseObjectKey(key);
    assertRange(offset, length);
    if (length === 0) return Buffer.alloc(0);
    let stream: Readable;
    try {
      stream = await this.client.getPartialObject(this.bucket, this.objectName(key), offset, length);
    } catch (err) {
      // The range starts at or past the object's end: no bytes, as a short pread gives.
      if (s3ErrorCode(err) === 'InvalidRange') return Buffer.alloc(0);
      throw mapS3Error(err, this.ctx('get', key));
    }
    const got = await this.readAll(stream, key);
    // More than asked: the server ignored the Range header and sent the whole object (s3rver does
    // for `bytes=0-0`); the range is cut out of it.
    return got.length > length ? got.subarray(offset, offset + length) : got;
  }

  private async readAll(stream: Readable, key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of stream) chunks.push(chunk as Buffer);
    } catch (err) {
      throw mapS3Error(err, this.ctx('read', key));
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  }

  async getStream(key: string): Promise<Readable> {
    const parsed = parseObjectKey(key);
    const stream = await this.getObject(key);
    return parsed.kind === 'message' ? messageOnlyStream(parsed.id, stream) : stream;
  }

  /** The stored object's bytes as they are (a message's record included). */
  private async getObject(key: string): Promise<Readable> {
    try {
      return await this.client.getObject(this.bucket, this.objectName(key));
    } catch (err) {
      throw mapS3Error(err, this.ctx('get', key));
    }
  }

  async stat(key: string): Promise<StoredObjectInfo | null> {
    parseObjectKey(key);
    try {
      const st = await this.client.statObject(this.bucket, this.objectName(key));
      return { key, size: st.size, lastModified: st.lastModified };
    } catch (err) {
      if (isS3NotFound(err)) return null;
      throw mapS3Error(err, this.ctx('stat', key));
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== null;
  }

  async delete(key: string): Promise<void> {
    parseObjectKey(key);
    try {
      await this.client.removeObject(this.bucket, this.objectName(key));
    } catch (err) {
      if (isS3NotFound(err)) return;
      throw mapS3Error(err, this.ctx('delete', key));
    }
  }

  /** One HEAD on the bucket each time (creating the bucket if it is missing). */
  async ping(): Promise<void> {
    let exists: boolean;
    try {
      exists = await this.client.bucketExists(this.bucket);
    } catch (err) {
      throw mapS3Error(err, this.ctx('reach', undefined));
    }
    if (!exists) {
      this.bucketReady = null;
      await this.ensureBucket();
    }
  }

  /** Creates the bucket when it is missing; runs once per store (again after a failure). */
  ensureBucket(): Promise<void> {
    if (!this.bucketReady) {
      this.bucketReady = this.createBucketIfMissing().catch((err: unknown) => {
        this.bucketReady = null;
        throw err;
      });
    }
    return this.bucketReady;
  }

  private async createBucketIfMissing(): Promise<void> {
    try {
      if (await this.client.bucketExists(this.bucket)) return;
      await this.client.makeBucket(this.bucket, this.region);
    } catch (err) {
      const code = s3ErrorCode(err);
      if (code === 'BucketAlreadyOwnedByYou' || code === 'BucketAlreadyExists') return; // another process won the race
      throw mapS3Error(err, this.ctx('create', undefined));
    }
  }

  private async putObject(key: string, data: Buffer, contentType: string): Promise<void> {
    await this.ensureBucket();
    for (let attempt = 0; ; attempt++) {
      try {
        await this.client.putObject(this.bucket, this.objectName(key), data, data.length, { 'Content-Type': contentType });
        return;
      } catch (err) {
        if (attempt === 0 && s3ErrorCode(err) === 'NoSuchBucket') {
          // Removed behind our back since ensureBucket: create it again, once.
          this.bucketReady = null;
          await this.ensureBucket();
          continue;
        }
        throw mapS3Error(err, this.ctx('put', key));
      }
    }
  }

  /** The S3 object name of a logical key. */
  private objectName(key: string): string {
    return this.keyPrefix + key;
  }

  private ctx(op: string, key: string | undefined): { endpoint: string; bucket: string; op: string; key?: string } {
    // the logical key (what callers know); the prefix shows with the bucket
    const bucket = this.keyPrefix ? `${this.bucket} (prefix ${this.keyPrefix})` : this.bucket;
    return { endpoint: this.endpoint, bucket, op, key };
  }
}
