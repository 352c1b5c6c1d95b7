import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ApiError } from '../errors';
import { isAuthorized } from './auth';
import type { HttpDeps } from './http-deps';
import { sendError } from './respond';
import { checkv2 } from './routes/checkv2';
import { getScan } from './routes/get-scan';
import { healthz, readyz } from './routes/health';
import { metrics } from './routes/metrics';
import { postScans } from './routes/post-scans';

export interface ServerOptions {
  /** Serve /metrics on this listener (false when --metrics-listen is elsewhere). */
  readonly serveMetrics: boolean;
  readonly thresholds: Readonly<Record<string, number>>;
}

/** Route labels are bounded: the scan id never becomes a label value. */
type Route = 'post_scans' | 'get_scan' | 'checkv2' | 'healthz' | 'readyz' | 'metrics' | 'other';

/** Builds the producer's HTTP server from injected dependencies (tests call it without a real fleet). */
export function buildServer(deps: HttpDeps, opts: ServerOptions): Server {
  const server = createServer((req, res) => {
    void handle(req, res, deps, opts);
  });
  server.requestTimeout = 330_000;
  server.headersTimeout = 30_000;
  return server;
}

async function handle(req: IncomingMessage, res: ServerResponse, deps: HttpDeps, opts: ServerOptions): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  const method = req.method ?? 'GET';
  let route: Route = 'other';
  let status = 500;
  try {
    if (path === '/healthz') {
      route = 'healthz';
      status = healthz(res);
    } else if (path === '/readyz') {
      route = 'readyz';
      status = await readyz(res, deps.readiness);
    } else if (path === '/metrics' && opts.serveMetrics) {
      route = 'metrics';
      status = await metrics(res, deps.metrics.registry);
    } else if (path === '/scans' || path === '/checkv2' || path === '/checkv2/' || path.startsWith('/scans/')) {
      route = path === '/scans' ? 'post_scans' : path.startsWith('/checkv2') ? 'checkv2' : 'get_scan';
      const wantMethod = route === 'get_scan' ? 'GET' : 'POST';
      if (method !== wantMethod) throw new ApiError('AVF_ERR_METHOD_NOT_ALLOWED', `${path} accepts ${wantMethod} only`, { allow: wantMethod });
      if (!isAuthorized(req.headers, deps.apiToken)) {
        req.resume();
        throw new ApiError('AVF_ERR_UNAUTHORIZED', 'missing or wrong API token: send "Authorization: Bearer TOKEN" or "Password: TOKEN"');
      }
      if (route === 'post_scans') status = await postScans(req, res, url, deps);
      else if (route === 'checkv2') status = await checkv2(req, res, deps, opts.thresholds);
      else status = await getScan(res, decodeURIComponent(path.slice('/scans/'.length)), deps);
    } else {
      throw new ApiError('AVF_ERR_NOT_FOUND', `no route ${method} ${path}`);
    }
  } catch (err) {
    status = sendError(res, err);
    if (status >= 500) deps.logger.error({ err, route }, 'request failed');
  } finally {
    deps.metrics.httpRequests.inc({ route, status: String(status) });
  }
}
