import { ApiError } from '../errors';
import { classifyFailure } from './classify-failure';

/** Redis and store calls on the request path must answer in bounded time: past `ms` the request gets 503. */
export const INTAKE_TIMEOUT_MS = 10_000;

export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ApiError('AVF_ERR_UNAVAILABLE', `${what} did not answer within ${ms} ms; check Redis and the object store`, { 'retry-after': '5' })), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** `within`, with a Redis or store outage turned into a 503 (classifyFailure); other errors pass through. */
export async function guarded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  try {
    return await within(promise, ms, what);
  } catch (err) {
    throw classifyFailure(err);
  }
}
