import { CodedError } from '@avfleet/scanners';

/** Stable codes: once published a code keeps its meaning (docs/errors.md lists them). */
export type StoreErrorCode =
  /** The store did not answer (network, timeout, credentials, disk): callers answer 503 or retry. */
  | 'AVF_ERR_STORE_UNAVAILABLE'
  /** No object under that key. */
  | 'AVF_ERR_STORE_NOT_FOUND'
  /** A key, message id or digest that is not one of the store's safe shapes (or a digest that does not match the bytes). */
  | 'AVF_ERR_STORE_INVALID_KEY'
  /** The bytes read for a job's body do not hash to the digest the job expects (its range of the stored message decodes to other bytes). */
  | 'AVF_ERR_STORE_BODY_MISMATCH';

export const STORE_ERROR_CODES: readonly StoreErrorCode[] = [
  'AVF_ERR_STORE_UNAVAILABLE',
  'AVF_ERR_STORE_NOT_FOUND',
  'AVF_ERR_STORE_INVALID_KEY',
  'AVF_ERR_STORE_BODY_MISMATCH',
];

/**
 * Any failure of the object store. Branch on `code`, not on `instanceof`
 * (the code survives a trip through Redis in a job result; the class does not).
 */
export class StoreError extends CodedError<StoreErrorCode> {
  override readonly name = 'StoreError';
  /** The object key concerned, when there is one. */
  readonly key: string | null;
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown; key?: string }) {
    super(code, message, options);
    this.key = options?.key ?? null;
  }
}

/** True when `err` is a StoreError (by code, so it also holds for errors rebuilt from JSON), optionally with that code. */
export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  if (typeof err !== 'object' || err === null) return false;
  const c = (err as { code?: unknown }).code;
  if (typeof c !== 'string' || !(STORE_ERROR_CODES as readonly string[]).includes(c)) return false;
  return code === undefined || c === code;
}
