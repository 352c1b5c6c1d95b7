import type { ServerResponse } from 'node:http';
import type { Readiness } from '../http-deps';
import { sendJson } from '../respond';

export function healthz(res: ServerResponse): number {
  sendJson(res, 200, { status: 'ok' });
  return 200;
}

/** 200 when Redis and the store answer (workers: and a server per served rule); else 503 with the details. */
export async function readyz(res: ServerResponse, readiness: () => Promise<Readiness>): Promise<number> {
  const r = await readiness();
  const status = r.ok ? 200 : 503;
  sendJson(res, status, { redis: r.redis, store: r.store, ...(r.rules ? { rules: r.rules } : {}) });
  return status;
}
