import type { AddressInfo } from 'node:net';
import { Queue, Worker } from 'bullmq';
import { Registry } from 'prom-client';
import type { AntivirusConfig, FleetSettings } from '@avfleet/config';
import {
  AGGREGATE_QUEUE, ResultStore, VerdictCache, checkEvictionPolicy, createFleetMetrics, createObjectStore, loadWhitelists,
  openRedisConnections, ruleToScannerOptions, scanQueueName, type Logger,
} from '@avfleet/core';
import { createScanner, type Scanner } from '@avfleet/scanners';
import { createAggregateProcessor } from './aggregate-processor';
import { buildOpsServer } from './ops-server';
import { createScanProcessor } from './scan-processor';
import { selectQueues } from './select-queues';
import { sampleQueueDepths } from './sample-queue-depths';
import { publishSignatureVersions } from './publish-signature-versions';

export interface StartWorkerOptions {
  readonly settings: FleetSettings;
  readonly config: AntivirusConfig;
  readonly logger: Logger;
  /** Serve /metrics, /healthz, /readyz on settings.metricsListen (default true). */
  readonly serveOps?: boolean;
  readonly registry?: Registry;
  /**
   * How often a worker looks for jobs whose worker died, and how long a job's lock lasts
   * without renewal (BullMQ's stalledInterval and lockDuration). Default: the setting
   * AVFLEET_STALLED_INTERVAL (30 s). A crashed worker's jobs run again on
   * another worker after at most about twice this.
   */
  readonly stalledIntervalMs?: number;
}

export interface RunningWorker {
  readonly queues: readonly string[];
  readonly opsAddress: AddressInfo | null;
  close(): Promise<void>;
}

/** Composition root of a worker process: BullMQ workers for the selected queues plus the ops listener. */
export async function startWorker(opts: StartWorkerOptions): Promise<RunningWorker> {
  const { settings, config, logger } = opts;
  const selection = selectQueues(settings.queues, config.rules);
  const stalled = stalledOptions(opts.stalledIntervalMs ?? Math.round(settings.stalledIntervalSec * 1000));
  const registry = opts.registry ?? new Registry();
  const metrics = createFleetMetrics(registry);
  const { bull, commands } = openRedisConnections(settings.redisUrl);
  await checkEvictionPolicy(commands, logger);
  const store = createObjectStore(settings.store);
  const whitelists = loadWhitelists(config.rules, { logger });

  const scanners = new Map<string, Scanner>();
  for (const rule of selection.rules) {
    const options = ruleToScannerOptions(rule, settings.upstream, (e) => {
      if (!e.ok) metrics.upstreamErrors.inc({ rule: rule.name, server: e.server });
    });
    scanners.set(rule.name, createScanner(options, rule.specific));
  }
  metrics.trackServersDown(() => [...scanners].map(([name, s]) => [name, s.serversDown?.() ?? 0] as const));
  const cache = new VerdictCache(commands, {
    observer: (e) => {
      if (e.outcome === 'error') logger.warn({ key: e.key, op: e.op, err: e.error.message }, 'verdict cache error (treated as a miss)');
    },
  });
  const connection = { connection: bull, prefix: settings.queuePrefix };
  const workers: Worker[] = [];
  const served: string[] = [];

  const scanProcessor = createScanProcessor({
    rules: new Map(selection.rules.map((r) => [r.name, r])),
    scanners, cache, store, metrics, logger, configDigest: config.digest, rspamdCompatCache: settings.cacheRspamdCompat,
  });
  for (const rule of selection.rules) {
    const name = scanQueueName(rule.name);
    // rate_limit (interfaces.md §2): BullMQ's queue limiter holds the whole fleet to N scans per period.
    const limiter = rule.rateLimit ? { limiter: { max: rule.rateLimit.max, duration: rule.rateLimit.durationMs } } : {};
    workers.push(new Worker(name, scanProcessor, { ...connection, ...stalled, concurrency: settings.concurrency, maxStalledCount: 2, ...limiter }));
    served.push(name);
  }
  const queuesToSample: Queue[] = [];
  if (selection.aggregate) {
    const processor = createAggregateProcessor({
      finish: {
        rules: config.rules,
        symbolScores: config.symbolScores,
        thresholds: settings.actions,
        whitelists: whitelists.names,
      },
      results: new ResultStore(commands, settings.queuePrefix, settings.resultTtlSec),
      metrics,
      logger,
    });
    workers.push(new Worker(AGGREGATE_QUEUE, processor, { ...connection, ...stalled, concurrency: settings.concurrency, maxStalledCount: 5 }));
    served.push(AGGREGATE_QUEUE);
    // One exporter of queue depths per queue set (interfaces.md §6.5): the workers serving `aggregate`.
    for (const q of [AGGREGATE_QUEUE, ...config.rules.map((r) => scanQueueName(r.name))]) queuesToSample.push(new Queue(q, connection));
  }
  for (const w of workers) {
    w.on('stalled', () => metrics.jobsStalled.inc({ queue: w.name }));
    w.on('failed', (job, err) => logger.error({ queue: w.name, jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'job failed'));
    w.on('error', (err) => logger.error({ queue: w.name, err: err.message }, 'worker error'));
  }
  const stopSampling = queuesToSample.length > 0 ? sampleQueueDepths(queuesToSample, metrics, logger) : () => undefined;
  const stopPublishing = publishSignatureVersions(commands, settings.queuePrefix, scanners, logger);

  let opsAddress: AddressInfo | null = null;
  const ops = opts.serveOps === false ? null : buildOpsServer(registry, async () => {
    const [redis, storeOk] = await Promise.all([
      commands.ping().then(() => 'ok', (e: Error) => e.message),
      store.ping().then(() => 'ok', (e: Error) => e.message),
    ]);
    const rules: Record<string, string> = {};
    for (const [name, s] of scanners) rules[name] = (await (s.isReady?.() ?? Promise.resolve(true))) ? 'ok' : 'no server available';
    const ok = redis === 'ok' && storeOk === 'ok' && Object.values(rules).every((r) => r === 'ok');
    return { ok, body: { redis, store: storeOk, rules } };
  });
  if (ops) {
    const { host, port } = settings.metricsListen;
    await new Promise<void>((resolve, reject) => {
      ops.once('error', (err: NodeJS.ErrnoException) => {
        reject(err.code === 'EADDRINUSE' ? new Error(`cannot listen on ${host}:${port}: the address is in use; choose another with --metrics-listen`) : err);
      });
      ops.listen(port, host, () => resolve());
    });
    opsAddress = ops.address() as AddressInfo;
  }
  logger.info({ queues: served, concurrency: settings.concurrency, ops: opsAddress }, 'worker started');

  return {
    queues: served,
    opsAddress,
    async close() {
      stopSampling();
      stopPublishing();
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all(queuesToSample.map((q) => q.close()));
      await Promise.all([...scanners.values()].map((s) => s.close?.()));
      if (ops) await new Promise<void>((resolve) => ops.close(() => resolve()));
      await Promise.allSettled([bull.quit(), commands.quit()]);
    },
  };
}

function stalledOptions(ms: number): { stalledInterval: number; lockDuration: number } {
  return { stalledInterval: ms, lockDuration: ms };
}
