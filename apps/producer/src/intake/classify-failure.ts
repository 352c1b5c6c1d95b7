import { ApiError } from '../errors';

const UNAVAILABLE_PATTERNS = [/ECONNREFUSED/, /ECONNRESET/, /ETIMEDOUT/, /EHOSTUNREACH/, /Connection is closed/i, /max retries per request/i, /Stream isn't writeable/i, /enableOfflineQueue/i, /command timed out/i];

/** Redis or object-store outages become 503 with a message saying what is down; anything else stays as it is. */
export function classifyFailure(err: unknown): unknown {
  if (err instanceof ApiError) return err;
  const code = (err as { code?: unknown })?.code;
  const msg = err instanceof Error ? err.message : String(err);
  if (code === 'AVF_ERR_STORE_UNAVAILABLE') {
    return new ApiError('AVF_ERR_UNAVAILABLE', `object store unreachable: ${msg}`, { 'retry-after': '5' }, { cause: err });
  }
  if (UNAVAILABLE_PATTERNS.some((re) => re.test(msg)) || (typeof code === 'string' && UNAVAILABLE_PATTERNS.some((re) => re.test(code)))) {
    return new ApiError('AVF_ERR_UNAVAILABLE', `Redis or the object store is unreachable: ${msg}`, { 'retry-after': '5' }, { cause: err });
  }
  return err;
}
