import { CodedError } from '@avfleet/scanners';

/** Errors of the verdict cache, with stable codes (docs/errors.md). */
export type CacheErrorCode = 'AVF_ERR_CACHE_KEY_CONTENT' | 'AVF_ERR_CACHE_KEY_DIGEST';

export class CacheError extends CodedError<CacheErrorCode> {
  override readonly name = 'CacheError';
}
