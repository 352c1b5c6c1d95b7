import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

/**
 * What `/readyz` reports: `ok` decides 200 or 503; the body is `{redis, store, rules?}` either way
 * (`rules`: workers only, a rule with no reachable server is not ready).
 */
export interface Readiness {
  readonly ok: boolean;
  readonly redis: string;
  readonly store: string;
  readonly rules?: Readonly<Record<string, string>>;
}

/** Longest a /readyz answer may take: a hanging dependency is itself a reason to be not ready. */
export const READINESS_TIMEOUT_MS = 5000;

/** The operations routes every avfleet process serves, without a token: bind them privately. */
export type OpsRoute = 'healthz' | 'readyz' | 'metrics';

export function opsRouteOf(path: string): OpsRoute | null {
  if (path === '/healthz') return 'healthz';
  if (path === '/readyz') return 'readyz';
  if (path === '/metrics') return 'metrics';
  return null;
}

/** What the operations routes read. */
export interface OpsSources {
  readonly registry: Registry;
  readonly readiness: () => Promise<Readiness>;
  /** The text /metrics serves instead of `registry`'s own (a producer cluster child: the whole cluster's). */
  readonly metricsText?: () => Promise<string>;
  /** Default READINESS_TIMEOUT_MS. */
  readonly readinessTimeoutMs?: number;
}

/** One JSON answer (UTF-8, with its length). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(data.length), ...headers });
  res.end(data);
}

/** Answers one operations route; returns the status sent. */
export async function serveOpsRoute(route: OpsRoute, res: ServerResponse, sources: OpsSources): Promise<number> {
  if (route === 'healthz') {
    sendJson(res, 200, { status: 'ok' });
    return 200;
  }
  if (route === 'readyz') {
    const r = await readinessWithin(sources.readiness, sources.readinessTimeoutMs ?? READINESS_TIMEOUT_MS);
    const status = r.ok ? 200 : 503;
    sendJson(res, status, { redis: r.redis, store: r.store, ...(r.rules ? { rules: r.rules } : {}) });
    return status;
  }
  let text: string;
  try {
    text = sources.metricsText ? await sources.metricsText() : await sources.registry.metrics();
  } catch (err) {
    const message = `metrics are unavailable: ${err instanceof Error ? err.message : String(err)}`;
    sendJson(res, 503, { error: { code: 'AVF_ERR_UNAVAILABLE', message } }, { 'retry-after': '1' });
    return 503;
  }
  res.writeHead(200, { 'content-type': sources.registry.contentType });
  res.end(text);
  return 200;
}

/** The readiness checks' answer, or a not-ready answer naming the hang when they take longer than `ms`. */
async function readinessWithin(check: () => Promise<Readiness>, ms: number): Promise<Readiness> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`readiness checks did not answer within ${ms} ms (Redis, the store or a scanner hangs)`)), ms);
  });
  try {
    return await Promise.race([check(), late]);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { ok: false, redis: why, store: why };
  } finally {
    clearTimeout(timer);
  }
}

/** A listener that serves only GET /metrics, /healthz, /readyz (a worker's, or a producer's --metrics-listen elsewhere). */
export function buildOpsServer(sources: OpsSources): Server {
  return createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = opsRouteOf(path);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: { code: 'AVF_ERR_METHOD_NOT_ALLOWED', message: `${path} accepts GET, HEAD only` } }, { allow: 'GET, HEAD' });
      return;
    }
    if (!route) {
      sendJson(res, 404, { error: { code: 'AVF_ERR_NOT_FOUND', message: `no route ${req.method} ${path}; this listener serves GET /healthz, /readyz, /metrics` } });
      return;
    }
    void serveOpsRoute(route, res, sources);
  });
}

/** Starts `server` on host:port; an address in use is reported with the setting that chooses another. */
export function listenOn(server: Server, host: string, port: number, setting: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new Error(`cannot listen on ${host}:${port}: the address is in use; choose another with ${setting}`) : err);
    });
    server.listen(port, host, () => resolve());
  });
}
