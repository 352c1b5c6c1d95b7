import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import type { AntivirusConfig, FleetSettings } from '@avfleet/config';
import { DECODED_FACTS_MEMO, InflightBudget, createFleetMetrics, listenOn, openIntake, type Logger } from '@avfleet/core';
import { buildServer } from './frontends/http/build-server';
import type { HttpDeps } from './frontends/http/http-deps';
import { DEFAULT_CLAMD_LIMITS } from './frontends/clamd/clamd-deps';
import { startClamdServer, type ClamdServer } from './frontends/clamd/clamd-server';
import { versionLine } from './frontends/clamd/version-line';
import { startMilterServer, type RunningMilter } from './frontends/milter/milter-server';

export interface StartProducerOptions {
  readonly settings: FleetSettings;
  readonly config: AntivirusConfig;
  readonly logger: Logger;
  readonly registry?: Registry;
  /** What GET /metrics serves instead of `registry`'s own text (a producer cluster child asks its primary for the whole cluster's). */
  readonly metricsText?: () => Promise<string>;
}

export interface RunningProducer {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

/** Composition root of a producer: core's intake (Redis, store, queues) → the HTTP front end, and the milter when --milter-listen is set. */
export async function startProducer(opts: StartProducerOptions): Promise<RunningProducer> {
  const { settings, config, logger } = opts;
  const registry = opts.registry ?? new Registry();
  const metrics = createFleetMetrics(registry);
  metrics.trackAttachmentMemo(DECODED_FACTS_MEMO);
  const intake = await openIntake({ settings, config, logger, metrics });
  // One byte budget for every front end that buffers a message (AVFLEET_MAX_INFLIGHT_BYTES).
  const inflight = new InflightBudget(settings.maxInflightBytes, metrics);
  const deps: HttpDeps = {
    submitter: intake.submitter, scanStatus: intake.scanStatus, readiness: intake.readiness,
    metrics, logger, apiToken: settings.apiToken, maxMessageBytes: settings.maxMessageBytes, inflight,
    adminToken: settings.adminToken, quarantine: intake.quarantine, retro: intake.retro, retroWindowSec: settings.retroscan.windowSec,
    ...(opts.metricsText ? { metricsText: opts.metricsText } : {}),
  };
  const sameListener = settings.metricsListen.host === settings.listen.host && settings.metricsListen.port === settings.listen.port;
  const server = buildServer(deps, { serveMetrics: sameListener, thresholds: settings.actions });
  const opsServer = sameListener ? null : buildServer(deps, { serveMetrics: true, serveApi: false, thresholds: settings.actions });
  let clamd: ClamdServer | null = null;
  let milter: RunningMilter | null = null;
  // The other front ends close first (verdicts in flight are written), then HTTP.
  const closeFrontEnds = async (): Promise<void> => {
    await Promise.all([clamd?.close(), milter?.close()]);
  };
  try {
    await listenOn(server, settings.listen.host, settings.listen.port, '--listen / --metrics-listen');
    if (opsServer) await listenOn(opsServer, settings.metricsListen.host, settings.metricsListen.port, '--listen / --metrics-listen');
    // The clamd protocol (--clamd-listen) and the milter (--milter-listen), beside HTTP over the same submitter.
    if (settings.clamdListen) {
      clamd = await startClamdServer(settings.clamdListen, {
        submitter: intake.submitter, logger, deadlineSec: settings.clamdDeadlineSec, versionLine: versionLine(), inflight,
        limits: { ...DEFAULT_CLAMD_LIMITS, maxStreamBytes: settings.maxMessageBytes },
      });
    }
    if (settings.milter.listen) {
      milter = await startMilterServer({
        listen: settings.milter.listen, maxConnections: settings.milter.maxConnections, deadlineSec: settings.milter.deadlineSec,
        addHeaders: settings.milter.addHeaders, maxMessageBytes: settings.maxMessageBytes, inflight, submitter: intake.submitter, logger,
      });
    }
  } catch (err) {
    // Nothing may keep the process alive after a failed start (the CLI reports the error and exits).
    await closeFrontEnds();
    await Promise.all([server, ...(opsServer ? [opsServer] : [])].filter((s) => s.listening).map(closeGracefully));
    await intake.close();
    throw err;
  }
  const address = server.address() as AddressInfo;
  logger.info({ listen: address, rules: config.rules.map((r) => r.name) }, 'producer listening');

  return {
    address,
    async close() {
      // No new connections; requests in flight are answered; keep-alive connections that
      // fall idle meanwhile are closed at once instead of after their keep-alive timeout.
      await Promise.all([...[server, ...(opsServer ? [opsServer] : [])].map(closeGracefully), closeFrontEnds()]);
      await intake.close();
    },
  };
}

function closeGracefully(server: import('node:http').Server): Promise<void> {
  return new Promise<void>((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    server.close(() => {
      clearInterval(sweep);
      resolve();
    });
  });
}
