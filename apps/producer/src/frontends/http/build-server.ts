import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ActionThresholds } from '@avfleet/config';
import { READINESS_TIMEOUT_MS, serveOpsRoute } from '@avfleet/core';
import { ApiError } from './api-error';
import { checkToken, isAuthorized, tokenId } from './auth';
import type { HttpDeps } from './http-deps';
import { refuseDeclaredOverBudget, refuseDeclaredOversize, refuseEncodedBody } from './read-body';
import { sendError } from './respond';
import { CHECKV2_REPLY_HEADERS, checkv2 } from './routes/checkv2';
import { getScan } from './routes/get-scan';
import { postScans } from './routes/post-scans';
import { matchQuarantinePath, serveQuarantine, type QuarantineRoute } from './routes/quarantine';
import { matchRetroPath, serveRetro, type RetroRoute } from './routes/retroscan';

export interface ServerOptions {
  /** Serve /metrics on this listener (false when --metrics-listen is elsewhere). */
  readonly serveMetrics: boolean;
  /** Serve the scan routes (false on a separate --metrics-listen, which only has /metrics and the health routes). Default true. */
  readonly serveApi?: boolean;
  /** Score thresholds by action (AVFLEET_ACTIONS), for /checkv2's required_score when no result exists yet. */
  readonly thresholds: ActionThresholds;
}

/** Route labels are bounded: the scan id never becomes a label value. */
type Route = 'post_scans' | 'get_scan' | 'checkv2' | 'healthz' | 'readyz' | 'metrics' | QuarantineRoute | RetroRoute | 'other';

interface RouteMatch {
  readonly route: Exclude<Route, 'other'>;
  /** The methods served; `any` for /checkv2, whose Rspamd counterpart never looks at the method. */
  readonly methods: readonly string[] | 'any';
  /** The request carries a message as its body. */
  readonly takesBody: boolean;
  /** Needs the API token when one is set. */
  readonly guarded: boolean;
  /** Needs the admin token (AVFLEET_ADMIN_TOKEN); without one set, the route does not exist (404). */
  readonly admin?: boolean;
}

/** Path → route; null for an unknown path (404). */
function matchRoute(path: string, opts: ServerOptions): RouteMatch | null {
  if (path === '/healthz') return { route: 'healthz', methods: ['GET', 'HEAD'], takesBody: false, guarded: false };
  if (path === '/readyz') return { route: 'readyz', methods: ['GET', 'HEAD'], takesBody: false, guarded: false };
  if (path === '/metrics' && opts.serveMetrics) return { route: 'metrics', methods: ['GET', 'HEAD'], takesBody: false, guarded: false };
  if (opts.serveApi === false) return null;
  if (path === '/scans') return { route: 'post_scans', methods: ['POST'], takesBody: true, guarded: true };
  if (path.startsWith('/scans/')) return { route: 'get_scan', methods: ['GET', 'HEAD'], takesBody: false, guarded: true };
  // Rspamd's normal worker scans /checkv2 whatever the method (src/worker.c
  // `rspamd_worker_body_handler` → src/libserver/protocol.c
  // `rspamd_protocol_handle_request` dispatches on the URL alone), and its proxy
  // sends GET with a body to a local upstream (src/rspamd_proxy.c `proxy_send_master_message`).
  if (path === '/checkv2' || path === '/checkv2/') return { route: 'checkv2', methods: 'any', takesBody: true, guarded: true };
  const quarantine = matchQuarantinePath(path);
  if (quarantine) return { route: quarantine.route, methods: quarantine.methods, takesBody: false, guarded: false, admin: true };
  const retro = matchRetroPath(path);
  if (retro) return { route: retro.route, methods: retro.methods, takesBody: false, guarded: false, admin: true };
  return null;
}

/** Builds the producer's HTTP server from injected dependencies (tests call it without a real fleet). */
export function buildServer(deps: HttpDeps, opts: ServerOptions): Server {
  const server = createServer((req, res) => {
    void handle(req, res, deps, opts, false);
  });
  // Expect: 100-continue — refuse an oversize or unauthorized upload before the client sends it.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res, deps, opts, true);
  });
  server.requestTimeout = 330_000;
  server.headersTimeout = 30_000;
  return server;
}

async function handle(req: IncomingMessage, res: ServerResponse, deps: HttpDeps, opts: ServerOptions, expectsContinue: boolean): Promise<void> {
  const startedAt = Date.now();
  const target = req.url ?? '/';
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  const url = new URL(`http://localhost/${q === -1 ? '' : target.slice(q)}`);
  const method = req.method ?? 'GET';
  let route: Route = 'other';
  let status = 500;
  try {
    const match = matchRoute(path, opts);
    // The quarantine's admin routes do not exist without an admin token: the quarantine is then write-only.
    // The retro-scan's admin routes likewise, and not when AVFLEET_RETROSCAN is off.
    const isRetro = match?.route === 'retroscan' || match?.route === 'retro_detections';
    if (!match || (match.admin && (!deps.adminToken || (isRetro ? !deps.retro : !deps.quarantine)))) {
      throw new ApiError('AVF_ERR_NOT_FOUND', `no route ${method} ${path}; the API serves POST /scans, GET /scans/:id, /checkv2 (any method), GET /healthz, /readyz, /metrics`);
    }
    route = match.route;
    if (match.methods !== 'any' && !match.methods.includes(method)) {
      throw new ApiError('AVF_ERR_METHOD_NOT_ALLOWED', `${path} accepts ${match.methods.join(', ')} only`, { allow: match.methods.join(', ') });
    }
    if (match.guarded && !isAuthorized(req.headers, deps.apiToken)) {
      throw new ApiError('AVF_ERR_UNAUTHORIZED', 'missing or wrong API token: send "Authorization: Bearer TOKEN" or "Password: TOKEN" (rspamc -P TOKEN)', { 'www-authenticate': 'Bearer' });
    }
    if (match.admin) {
      const offered = checkToken(req.headers, deps.adminToken as string);
      if (offered === 'missing') throw new ApiError('AVF_ERR_UNAUTHORIZED', 'the admin routes (quarantine, retro-scan) need the admin token: send "Authorization: Bearer ADMIN_TOKEN" (AVFLEET_ADMIN_TOKEN)', { 'www-authenticate': 'Bearer' });
      if (offered === 'wrong') throw new ApiError('AVF_ERR_FORBIDDEN', 'wrong admin token for the admin routes (quarantine, retro-scan) (AVFLEET_ADMIN_TOKEN; the API token is a different secret)');
    }
    if (match.takesBody) {
      refuseEncodedBody(req.headers);
      refuseDeclaredOversize(req.headers, deps.maxMessageBytes);
      refuseDeclaredOverBudget(req.headers, deps.inflight);
      if (expectsContinue) res.writeContinue();
    }
    switch (match.route) {
      case 'healthz':
      case 'readyz':
      case 'metrics':
        status = await serveOpsRoute(match.route, res, {
          registry: deps.metrics.registry,
          readiness: deps.readiness,
          readinessTimeoutMs: Math.min(READINESS_TIMEOUT_MS, deps.submitter.storeTimeoutMs),
          logger: deps.logger,
          ...(deps.metricsText ? { metricsText: deps.metricsText } : {}),
          // Why a component is down (paths, error text, addresses) only with the configured token; never when none is set.
        }, { showDetails: deps.apiToken !== null && isAuthorized(req.headers, deps.apiToken) });
        break;
      case 'post_scans': status = await postScans(req, res, url, deps, startedAt); break;
      case 'checkv2': status = await checkv2(req, res, deps, opts.thresholds, startedAt); break;
      case 'get_scan': status = await getScan(res, path.slice('/scans/'.length), deps); break;
      case 'quarantine_list':
      case 'quarantine_entry':
      case 'quarantine_raw':
      case 'quarantine_release':
        status = await serveQuarantine(req, res, url, matchQuarantinePath(path)!, deps.quarantine!, tokenId(deps.adminToken as string));
        break;
      case 'retroscan':
      case 'retro_detections':
        status = await serveRetro(req, res, url, match.route, deps.retro!, tokenId(deps.adminToken as string), deps.retroWindowSec ?? 0);
        break;
    }
  } catch (err) {
    status = sendError(res, err, route === 'checkv2' ? CHECKV2_REPLY_HEADERS : {});
    if (status >= 500) deps.logger.error({ err, route }, 'request failed');
  } finally {
    deps.metrics.httpRequests.inc({ route, status: String(status) });
  }
}
