/** Errors of the verdict cache, with stable codes (docs/errors.md). */
export type CacheErrorCode = 'AVF_ERR_CACHE_KEY_CONTENT' | 'AVF_ERR_CACHE_KEY_DIGEST';

export class CacheError extends Error {
  constructor(readonly code: CacheErrorCode, message: string) {
    super(message);
    this.name = 'CacheError';
  }
}
