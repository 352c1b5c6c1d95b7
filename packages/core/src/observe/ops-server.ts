import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from './logger';

/** A component's state as `/readyz` shows it to anyone: never why. */
export type ComponentState = 'ok' | 'down';

/**
 * What `/readyz` reports: `ok` decides 200 or 503; the body is `{redis, store, rules?}` either way
 * (`rules`: workers only, a rule with no reachable server is not ready). `details` says why a
 * component is down — error text that may hold paths and server addresses — and is shown only
 * to a caller with the API token (a producer's), else only logged.
 */
export interface Readiness {
  readonly ok: boolean;
  readonly redis: ComponentState;
  readonly store: ComponentState;
  readonly rules?: Readonly<Record<string, ComponentState>>;
  /** Why, by component (`redis`, `store`, `rule <name>`); empty when all is well. */
  readonly details: Readonly<Record<string, string>>;
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
  /** Where why a component is down, or why /metrics failed, is written (a change of readiness is logged once). */
  readonly logger?: Logger;
}

/** Per request: may the caller see why a component is down (it sent the configured API token)? */
export interface OpsCaller {
  readonly showDetails: boolean;
}

const ANONYMOUS: OpsCaller = { showDetails: false };

/** Logs a readiness answer when what is wrong changed since the last one: a /readyz polled every few seconds logs an outage once. */
function readinessLogger(logger: Logger | undefined): (r: Readiness) => void {
  let last = '';
  return (r) => {
    const now = JSON.stringify(r.details);
    if (now === last) return;
    last = now;
    if (r.ok) logger?.info({ readiness: r }, 'ready');
    else logger?.warn({ readiness: r }, 'not ready');
  };
}

/** One log state per readiness check (a front end may build its OpsSources per request; the check is the process's own). */
const readinessLogs = new WeakMap<OpsSources['readiness'], (r: Readiness) => void>();

function logReadiness(sources: OpsSources, r: Readiness): void {
  let log = readinessLogs.get(sources.readiness);
  if (!log) {
    log = readinessLogger(sources.logger);
    readinessLogs.set(sources.readiness, log);
  }
  log(r);
}

/** One JSON answer (UTF-8, with its length). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(data.length), ...headers });
  res.end(data);
}

/**
 * Answers one operations route; returns the status sent. `/readyz` shows states (`ok`/`down`),
 * and why only to a caller allowed to see it; 503 bodies carry a stable code and no details.
 */
export async function serveOpsRoute(route: OpsRoute, res: ServerResponse, sources: OpsSources, caller: OpsCaller = ANONYMOUS): Promise<number> {
  if (route === 'healthz') {
    sendJson(res, 200, { status: 'ok' });
    return 200;
  }
  if (route === 'readyz') {
    const r = await readinessWithin(sources.readiness, sources.readinessTimeoutMs ?? READINESS_TIMEOUT_MS);
    logReadiness(sources, r);
    const status = r.ok ? 200 : 503;
    const details = caller.showDetails && Object.keys(r.details).length > 0 ? { details: r.details } : {};
    sendJson(res, status, { redis: r.redis, store: r.store, ...(r.rules ? { rules: r.rules } : {}), ...details });
    return status;
  }
  let text: string;
  try {
    text = sources.metricsText ? await sources.metricsText() : await sources.registry.metrics();
  } catch (err) {
    sources.logger?.error({ err }, 'metrics are unavailable');
    sendJson(res, 503, { error: { code: 'AVF_ERR_UNAVAILABLE', message: 'metrics are unavailable; see the process log (AVF_ERR_UNAVAILABLE)' } }, { 'retry-after': '1' });
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
    return { ok: false, redis: 'down', store: 'down', details: { redis: why, store: why } };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A worker's listener: serves only GET /metrics, /healthz, /readyz, without a token (a worker has
 * none), so `/readyz` shows states only and why a component is down goes to the worker's log.
 */
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
