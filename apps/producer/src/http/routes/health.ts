import type { ServerResponse } from 'node:http';
import { INTAKE_TIMEOUT_MS, within } from '../../intake/within';
import type { HttpDeps, Readiness } from '../http-deps';
import { sendJson } from '../respond';

export function healthz(res: ServerResponse): number {
  sendJson(res, 200, { status: 'ok' });
  return 200;
}

/**
 * 200 when Redis and the store answer (workers: and a server per served rule);
 * else 503. The body is `{"redis", "store", "rules"?}` either way; a check that
 * does not answer in time counts as down.
 */
export async function readyz(res: ServerResponse, deps: Pick<HttpDeps, 'readiness' | 'storeTimeoutMs'>): Promise<number> {
  const ms = deps.storeTimeoutMs ?? INTAKE_TIMEOUT_MS;
  let r: Readiness;
  try {
    r = await within(deps.readiness(), ms, 'the readiness check');
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    r = { ok: false, redis: why, store: why };
  }
  const status = r.ok ? 200 : 503;
  sendJson(res, status, { redis: r.redis, store: r.store, ...(r.rules ? { rules: r.rules } : {}) });
  return status;
}
