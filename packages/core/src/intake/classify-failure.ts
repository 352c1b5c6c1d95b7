import { IntakeError, OUTAGE_RETRY_AFTER_SEC } from './intake-error';

/** JavaScript's own error classes: a bug in avfleet, never an outage of Redis or the store. */
const PROGRAMMING_ERRORS = [TypeError, RangeError, ReferenceError, SyntaxError];

/**
 * What a failed Redis or object-store call on the request path means for the caller.
 * Classified by type and code, never by message text:
 * - an IntakeError stays as it is;
 * - the store's `AVF_ERR_STORE_UNAVAILABLE` → `AVF_ERR_UNAVAILABLE` (retry later);
 * - any other avfleet error (a stable `AVF_ERR_…` code) and JavaScript's own error
 *   classes pass through: they are answered as internal errors, with the details in the log;
 * - anything else a dependency threw (ioredis: refused or closed connections, offline
 *   queue off, retries exhausted, command timeouts; sockets: errno codes) → `AVF_ERR_UNAVAILABLE`.
 * The client's message names the component only: the dependency's own text (store paths,
 * temp-file names, server addresses) stays in `cause`, which the front end logs.
 */
export function classifyFailure(err: unknown, what: string): unknown {
  if (err instanceof IntakeError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'AVF_ERR_STORE_UNAVAILABLE') return unavailable('the object store', err);
  if (typeof code === 'string' && code.startsWith('AVF_ERR_')) return err;
  if (PROGRAMMING_ERRORS.some((cls) => err instanceof cls)) return err;
  return unavailable(what, err);
}

/** `AVF_ERR_UNAVAILABLE` naming `component`, with the dependency's error as the cause (logged, never sent). */
function unavailable(component: string, cause: unknown): IntakeError {
  return new IntakeError('AVF_ERR_UNAVAILABLE', `${component} is unreachable; see the producer log (AVF_ERR_UNAVAILABLE)`, OUTAGE_RETRY_AFTER_SEC, { cause });
}
