import type { AddressInfo } from 'node:net';
import { FlowProducer, Queue, QueueEvents, type Job } from 'bullmq';
import { Registry } from 'prom-client';
import type { AntivirusConfig, FleetSettings } from '@avfleet/config';
import {
  AGGREGATE_QUEUE, Backpressure, DECODED_FACTS_MEMO, ResultStore, ResultWaiter, RuleVerdictCache, SignatureVersions, VerdictCache,
  aggregationContextOf, checkEvictionPolicy, createAggregator, createFleetMetrics, createIntake, createMessageSubmitter, createObjectStore,
  listenOn, loadWhitelists, openRedisConnections, readinessCheck, scanQueueName, thresholdsForReply,
  type AggregateJobData, type Logger, type ParentJob, type ScanResult,
} from '@avfleet/core';
import { buildServer } from './http/build-server';
import type { HttpDeps } from './http/http-deps';

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
  const context = aggregationContextOf(config, settings.actions, whitelists.names);
  const aggregator = createAggregator({ context, results, metrics, logger });

  // The result so far of a scan past its Deadline: stored when done, else its parent job's children so far.
  const partialResult = async (scanId: string): Promise<ScanResult | null> => {
    const done = await results.load(scanId);
    if (done) return done;
    const job = (await aggregateQueue.getJob(scanId)) as Job<AggregateJobData> | undefined;
    return job ? aggregator.partial(job as ParentJob) : null;
  };

  const intake = createIntake({
    config, store, flow, ipWhitelists: whitelists.ips,
    mimeLimits: { ...settings.mime, archive: settings.archive },
    rejectThreshold: context.thresholds.reject,
    resultTtlSec: settings.resultTtlSec, logger, metrics,
    probe: {
      cache: new RuleVerdictCache(new VerdictCache(commands), settings.cacheRspamdCompat, metrics),
      sigvers: new SignatureVersions(commands, settings.queuePrefix, config.rules.map((r) => r.name)),
    },
    aggregator,
  });
  const deps: HttpDeps = {
    submitter: createMessageSubmitter({
      intake, waiter, backpressure: new Backpressure(scanQueues, settings.maxWaiting), partialResult, metrics, logger,
    }),
    results, aggregateQueue, metrics, logger, apiToken: settings.apiToken, maxMessageBytes: settings.maxMessageBytes,
    readiness: readinessCheck(commands, store),
    ...(opts.metricsText ? { metricsText: opts.metricsText } : {}),
  };
  const sameListener = settings.metricsListen.host === settings.listen.host && settings.metricsListen.port === settings.listen.port;
  const replyThresholds = thresholdsForReply(settings.actions);
  const server = buildServer(deps, { serveMetrics: sameListener, thresholds: replyThresholds });
  const opsServer = sameListener ? null : buildServer(deps, { serveMetrics: true, serveApi: false, thresholds: replyThresholds });
  const releaseRedis = async (): Promise<void> => {
    waiter.close();
    await Promise.allSettled([events.close(), flow.close(), aggregateQueue.close(), ...scanQueues.map((q) => q.close())]);
    await Promise.allSettled([bull.quit(), commands.quit(), eventsConnection.quit(), enqueueConnection.quit()]);
  };
  try {
    await listenOn(server, settings.listen.host, settings.listen.port, '--listen / --metrics-listen');
    if (opsServer) await listenOn(opsServer, settings.metricsListen.host, settings.metricsListen.port, '--listen / --metrics-listen');
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
