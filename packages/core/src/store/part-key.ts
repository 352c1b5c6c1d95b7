import { createHash } from 'node:crypto';
import { StoreError } from './store-error';

/**
 * The store's logical keys (docs/interfaces.md §5), the same for every backend:
 *
 *   messages/YYYY/MM/DD/<id>.eml   raw messages, dated by the UTC day they were stored
 *   parts/<sha256>                 part bodies, content-addressed (64 lowercase hex)
 *   quarantine/<id>.eml            quarantined messages (packages/core/src/quarantine): never pruned
 *                                  by the store's retention, removed by the quarantine's own
 *
 * Every key a store accepts goes through `parseObjectKey`, so no caller-supplied
 * string can name a path outside these three shapes (no `..`, no `/`, no NUL).
 */

const SHA256_RE = /^[0-9a-f]{64}$/;
const MESSAGE_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const MESSAGE_KEY_RE = /^messages\/(\d{4})\/(\d{2})\/(\d{2})\/([A-Za-z0-9_-]{1,64})\.eml$/;
const PART_KEY_RE = /^parts\/([0-9a-f]{64})$/;
const QUARANTINE_KEY_RE = /^quarantine\/([A-Za-z0-9_-]{1,64})\.eml$/;

export const MESSAGES_PREFIX = 'messages/';
export const PARTS_PREFIX = 'parts/';
export const QUARANTINE_PREFIX = 'quarantine/';

export type ParsedObjectKey =
  | { readonly kind: 'message'; readonly key: string; readonly id: string; readonly year: string; readonly month: string; readonly day: string }
  | { readonly kind: 'part'; readonly key: string; readonly sha256: string }
  | { readonly kind: 'quarantine'; readonly key: string; readonly id: string };

export function isSha256Hex(s: string): boolean {
  return SHA256_RE.test(s);
}

export function isMessageId(s: string): boolean {
  return MESSAGE_ID_RE.test(s);
}

function describe(s: unknown): string {
  const str = String(s);
  return JSON.stringify(str.length > 80 ? `${str.slice(0, 80)}…` : str);
}

export function assertSha256Hex(sha256: string): void {
  if (typeof sha256 !== 'string' || !SHA256_RE.test(sha256)) {
    throw new StoreError(
      'AVF_ERR_STORE_INVALID_KEY',
      `invalid part digest ${describe(sha256)}: expected a SHA-256 as 64 lowercase hex characters`,
    );
  }
}

export function assertMessageId(id: string): void {
  if (typeof id !== 'string' || !MESSAGE_ID_RE.test(id)) {
    throw new StoreError(
      'AVF_ERR_STORE_INVALID_KEY',
      `invalid message id ${describe(id)}: expected 1 to 64 characters from A-Z a-z 0-9 _ -`,
    );
  }
}

/** `parts/<sha256>`; throws AVF_ERR_STORE_INVALID_KEY unless `sha256` is 64 lowercase hex. */
export function partKey(sha256: string): string {
  assertSha256Hex(sha256);
  return `${PARTS_PREFIX}${sha256}`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `messages/YYYY/MM/DD/<id>.eml`, the date taken in UTC. */
export function messageKey(id: string, date: Date = new Date()): string {
  assertMessageId(id);
  const t = date instanceof Date ? date.getTime() : Number.NaN;
  if (!Number.isFinite(t) || date.getUTCFullYear() < 0 || date.getUTCFullYear() > 9999) {
    throw new StoreError('AVF_ERR_STORE_INVALID_KEY', `invalid date for message ${id}: ${describe(date)}`);
  }
  const y = String(date.getUTCFullYear()).padStart(4, '0');
  return `${MESSAGES_PREFIX}${y}/${pad2(date.getUTCMonth() + 1)}/${pad2(date.getUTCDate())}/${id}.eml`;
}

/** `quarantine/<id>.eml`: a quarantined message's raw bytes. */
export function quarantineKey(id: string): string {
  assertMessageId(id);
  return `${QUARANTINE_PREFIX}${id}.eml`;
}

/** Splits a key into its parts; throws AVF_ERR_STORE_INVALID_KEY for anything but the three key shapes. */
export function parseObjectKey(key: string): ParsedObjectKey {
  if (typeof key === 'string') {
    const p = PART_KEY_RE.exec(key);
    if (p) return { kind: 'part', key, sha256: p[1] };
    const q = QUARANTINE_KEY_RE.exec(key);
    if (q) return { kind: 'quarantine', key, id: q[1] };
    const m = MESSAGE_KEY_RE.exec(key);
    if (m) {
      const month = Number(m[2]);
      const day = Number(m[3]);
      if (month >= 1 && month <= 12 && day >= 1 && day <= 31) {
        return { kind: 'message', key, year: m[1], month: m[2], day: m[3], id: m[4] };
      }
    }
  }
  throw new StoreError(
    'AVF_ERR_STORE_INVALID_KEY',
    `invalid object key ${describe(key)}: expected messages/YYYY/MM/DD/<id>.eml, parts/<sha256> or quarantine/<id>.eml`,
    { key: typeof key === 'string' ? key : undefined },
  );
}

/** Throws AVF_ERR_STORE_INVALID_KEY unless `key` is a valid store key. */
export function assertObjectKey(key: string): void {
  parseObjectKey(key);
}

/**
 * The check every `putPart` makes: `sha256` is well formed and, unless the
 * caller says it hashed these very bytes itself (`digestFromData`), is the
 * SHA-256 of `data`. Throws AVF_ERR_STORE_INVALID_KEY otherwise.
 */
export function assertPartDigest(sha256: string, data: Buffer, options?: { readonly digestFromData?: boolean }): void {
  if (options?.digestFromData === true) assertSha256Hex(sha256);
  else assertDigestMatches(sha256, data);
}

/** Throws AVF_ERR_STORE_INVALID_KEY unless `data` hashes to `sha256` (a part is only ever stored under its own digest). */
export function assertDigestMatches(sha256: string, data: Buffer): void {
  assertSha256Hex(sha256);
  const actual = createHash('sha256').update(data).digest('hex');
  if (actual !== sha256) {
    throw new StoreError(
      'AVF_ERR_STORE_INVALID_KEY',
      `part digest ${sha256} does not match the data (its SHA-256 is ${actual}); pass the SHA-256 of the exact bytes`,
      { key: `${PARTS_PREFIX}${sha256}` },
    );
  }
}

/** Throws a RangeError unless `offset` and `length` are non-negative safe integers (a ranged read's bounds). */
export function assertRange(offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`invalid byte range: offset ${offset}, length ${length} (non-negative integers expected)`);
  }
}
