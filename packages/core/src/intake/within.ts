import { classifyFailure } from './classify-failure';
import { IntakeError, OUTAGE_RETRY_AFTER_SEC } from './intake-error';

/** Redis and store calls on the request path must answer in bounded time: past `ms` the submission is refused as unavailable. */
export const INTAKE_TIMEOUT_MS = 10_000;

/** Node's longest timer (2^31 - 1 ms); a longer one fires at once with a TimeoutOverflowWarning. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** `promise`, or an `AVF_ERR_UNAVAILABLE` IntakeError naming `what` when it has not settled after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new IntakeError('AVF_ERR_UNAVAILABLE', `${what} did not answer within ${ms} ms; check Redis and the object store`, OUTAGE_RETRY_AFTER_SEC)),
      Math.min(Math.max(0, ms), MAX_TIMER_MS),
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** `within`, with a Redis or store outage turned into `AVF_ERR_UNAVAILABLE` (classifyFailure); other errors pass through. */
export async function guarded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  try {
    return await within(promise, ms, what);
  } catch (err) {
    throw classifyFailure(err, what);
  }
}
