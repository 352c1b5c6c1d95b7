import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface OpsReadiness {
  readonly ok: boolean;
  readonly body: Record<string, unknown>;
}

/** Longest a /readyz answer may take: a hanging dependency is itself a reason to be not ready. */
const READINESS_TIMEOUT_MS = 5000;

/** The worker's own listener: GET /metrics, /healthz, /readyz (no auth; bind it privately). */
export function buildOpsServer(registry: Registry, readiness: () => Promise<OpsReadiness>, readinessTimeoutMs = READINESS_TIMEOUT_MS): Server {
  return createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return json(405, { error: { code: 'AVF_ERR_METHOD_NOT_ALLOWED', message: 'GET only' } });
    if (path === '/healthz') return json(200, { status: 'ok' });
    if (path === '/readyz') {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`readiness checks did not answer within ${readinessTimeoutMs} ms (Redis, store or a scanner hangs)`)), readinessTimeoutMs);
      });
      Promise.race([readiness(), late]).finally(() => clearTimeout(timer)).then(
        (r) => json(r.ok ? 200 : 503, r.body),
        (err: unknown) => json(503, { error: { code: 'AVF_ERR_UNAVAILABLE', message: String(err) } }),
      );
      return;
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        },
        (err: unknown) => json(500, { error: { code: 'AVF_ERR_INTERNAL', message: String(err) } }),
      );
      return;
    }
    json(404, { error: { code: 'AVF_ERR_NOT_FOUND', message: `no route GET ${path}` } });
  });
}
