import type { AddressInfo } from 'node:net';
import { FlowProducer, Queue, QueueEvents, type Job } from 'bullmq';
import { Registry } from 'prom-client';
import type { AntivirusConfig, FleetSettings } from '@avfleet/config';
import {
  AGGREGATE_QUEUE, DECODED_FACTS_MEMO, ResultStore, VerdictCache, checkEvictionPolicy, createFleetMetrics, createObjectStore, finishScan, loadWhitelists,
  openRedisConnections, rejectThreshold, scanQueueName,
  type AggregateJobData, type Logger, type ScanJobResult, type ScanResult,
} from '@avfleet/core';
import { buildServer } from './http/build-server';
import type { HttpDeps, Readiness } from './http/http-deps';
import { createIntake } from './intake/accept-message';
import { SignatureVersions } from './intake/signature-versions';
import { ResultWaiter } from './intake/await-result';
import { Backpressure } from './intake/backpressure';

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

/** Composition root of a producer: settings, Redis, store, queues → HTTP API. */
export async function startProducer(opts: StartProducerOptions): Promise<RunningProducer> {
  const { settings, config, logger } = opts;
  const registry = opts.registry ?? new Registry();
  const metrics = createFleetMetrics(registry);
  metrics.trackAttachmentMemo(DECODED_FACTS_MEMO);
  const { bull, commands } = openRedisConnections(settings.redisUrl);
  await checkEvictionPolicy(commands, logger);
  const store = createObjectStore(settings.store);
  const whitelists = loadWhitelists(config.rules, { logger });
  const connection = { connection: bull, prefix: settings.queuePrefix };
  // Enqueueing fails at once while Redis is down (no offline queue, no retry of a command in flight):
  // a request answered 503 can never land in the queue later, when Redis returns (no orphan jobs).
  const enqueueConnection = bull.duplicate({ enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  enqueueConnection.on('error', () => undefined);
  const flow = new FlowProducer({ connection: enqueueConnection, prefix: settings.queuePrefix });
  const aggregateQueue = new Queue(AGGREGATE_QUEUE, connection);
  const scanQueues = config.rules.map((r) => new Queue(scanQueueName(r.name), connection));
  const eventsConnection = bull.duplicate();
  eventsConnection.on('error', () => undefined);
  const events = new QueueEvents(AGGREGATE_QUEUE, { connection: eventsConnection, prefix: settings.queuePrefix });
  events.on('error', (err) => logger.warn({ err: err.message }, 'queue events connection error'));
  const results = new ResultStore(commands, settings.queuePrefix, settings.resultTtlSec);
  const waiter = new ResultWaiter(events, results);
  const thresholds = settings.actions;
  const finishBase = { rules: config.rules, symbolScores: config.symbolScores, thresholds, whitelists: whitelists.names };

  const partialResult = async (scanId: string): Promise<ScanResult | null> => {
    const done = await results.load(scanId);
    if (done) return done;
    const job = (await aggregateQueue.getJob(scanId)) as Job<AggregateJobData> | undefined;
    if (!job) return null;
    const values = await job.getChildrenValues<ScanJobResult>();
    return finishScan({ ...finishBase, job: job.data, results: Object.values(values), missingAs: 'deadline', now: Date.now() });
  };

  const readiness = async (): Promise<Readiness> => {
    const [redis, storeState] = await Promise.all([
      commands.ping().then(() => 'ok', (e: Error) => e.message),
      store.ping().then(() => 'ok', (e: Error) => e.message),
    ]);
    return { ok: redis === 'ok' && storeState === 'ok', redis, store: storeState };
  };

  const deps: HttpDeps = {
    intake: createIntake({
      config, store, flow, ipWhitelists: whitelists.ips,
      mimeLimits: { ...settings.mime, archive: settings.archive },
      rejectThreshold: rejectThreshold(thresholds), resultTtlSec: settings.resultTtlSec, logger, metrics,
      probe: {
        cache: new VerdictCache(commands),
        sigvers: new SignatureVersions(commands, settings.queuePrefix, config.rules.map((r) => r.name)),
        rspamdCompat: settings.cacheRspamdCompat,
      },
      finish: finishBase,
      results,
    }),
    waiter, results, aggregateQueue,
    backpressure: new Backpressure(scanQueues, settings.maxWaiting),
    metrics, logger, apiToken: settings.apiToken, maxMessageBytes: settings.maxMessageBytes, readiness, partialResult,
    ...(opts.metricsText ? { metricsText: opts.metricsText } : {}),
  };
  const sameListener = settings.metricsListen.host === settings.listen.host && settings.metricsListen.port === settings.listen.port;
  const server = buildServer(deps, { serveMetrics: sameListener, thresholds });
  const opsServer = sameListener ? null : buildServer(deps, { serveMetrics: true, serveApi: false, thresholds });
  const releaseRedis = async (): Promise<void> => {
    waiter.close();
    await Promise.allSettled([events.close(), flow.close(), aggregateQueue.close(), ...scanQueues.map((q) => q.close())]);
    await Promise.allSettled([bull.quit(), commands.quit(), eventsConnection.quit(), enqueueConnection.quit()]);
  };
  try {
    await listen(server, settings.listen.host, settings.listen.port);
    if (opsServer) await listen(opsServer, settings.metricsListen.host, settings.metricsListen.port);
  } catch (err) {
    // Nothing may keep the process alive after a failed start (the CLI reports the error and exits).
    await Promise.all([server, ...(opsServer ? [opsServer] : [])].filter((s) => s.listening).map(closeGracefully));
    await releaseRedis();
    throw err;
  }
  const address = server.address() as AddressInfo;
  logger.info({ listen: address, rules: config.rules.map((r) => r.name) }, 'producer listening');

  return {
    address,
    async close() {
      // No new connections; requests in flight are answered; keep-alive connections that
      // fall idle meanwhile are closed at once instead of after their keep-alive timeout.
      await Promise.all([server, ...(opsServer ? [opsServer] : [])].map(closeGracefully));
      await releaseRedis();
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

function listen(server: import('node:http').Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new Error(`cannot listen on ${host}:${port}: the address is in use; choose another with --listen / --metrics-listen`) : err);
    });
    server.listen(port, host, () => resolve());
  });
}
