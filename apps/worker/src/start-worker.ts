import type { AddressInfo } from 'node:net';
import { Queue, Worker, type Job } from 'bullmq';
import { Registry } from 'prom-client';
import type { AntivirusConfig, FleetSettings } from '@avfleet/config';
import {
  AGGREGATE_QUEUE, ResultStore, RuleVerdictCache, ScanStateStore, VerdictCache, aggregationContextOf, buildOpsServer, checkEvictionPolicy,
  createAggregationJob, createAggregator, createFleetMetrics, createPartCompleter, createScanPart, enqueueAggregation, failedPartResult, listenOn, loadWhitelists,
  openFleetStore, openQuarantine, openQueueLanes, openRedisConnections, scheduleQuarantineExpiry, publishSignatureVersions, readinessCheck, ruleToScannerOptions, sampleQueueDepths, scanQueueName,
  serveWebhookQueue, openWebhookOutbox, startStoreRetention, webhookQueuePrefix, openRetroscan, createRescanPart, onVersionChange, retroQueueName, scheduleRetroExpiry, SignatureVersions,
  type AnnounceDetection, type RetroPartJob, type AggregateJobData, type AggregateJobRef, type CompletePart, type Logger, type ScanJobData, type ScanJobResult,
} from '@avfleet/core';
import { createScanner, type Scanner } from '@avfleet/scanners';
import { selectQueues } from './select-queues';

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
  /**
   * Where retro detections go (AVFLEET_RETROSCAN): the webhook outbox (packages/core/src/notify)
   * unless a test gives its own.
   */
  readonly announce?: AnnounceDetection;
  /** How often each served rule's signature version is published (default SIGVER_PUBLISH_INTERVAL_MS, 30 s); tests shorten it. */
  readonly signatureVersionIntervalMs?: number;
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
  const { bull, commands, keyValue, clustered, watch, ping } = openRedisConnections(settings, { logger, metrics });
  await checkEvictionPolicy(commands, logger);
  // Every lane is served (queue/queue-lanes.ts): each rule's queue and `aggregate`, once per lane.
  const lanes = await openQueueLanes(settings, commands, clustered, logger);
  const store = openFleetStore(settings, logger);
  const whitelists = loadWhitelists(config.rules, { logger });

  const scanners = new Map<string, Scanner>();
  for (const rule of selection.rules) {
    const options = ruleToScannerOptions(rule, settings.upstream, (e) => {
      if (!e.ok) metrics.upstreamErrors.inc({ rule: rule.name, server: e.server });
    });
    scanners.set(rule.name, createScanner(options, rule.specific));
    metrics.upstreamServers.set({ rule: rule.name }, rule.servers?.entries.length ?? 0);
  }
  metrics.trackServersDown(() => [...scanners].map(([name, s]) => [name, s.serversDown?.() ?? 0] as const));
  const cache = new RuleVerdictCache(new VerdictCache(keyValue, {
    observer: (e) => {
      if (e.outcome === 'error') logger.warn({ key: e.key, op: e.op, err: e.error.message }, 'verdict cache error (treated as a miss)');
    },
  }), settings.cacheRspamdCompat, metrics);
  const workers: { readonly worker: Worker; readonly lane: string }[] = [];
  const served: string[] = [];
  const scanPart = createScanPart({
    rules: new Map(selection.rules.map((r) => [r.name, r])), scanners, cache, store, metrics, logger, configDigest: config.digest,
  });
  // The part's verdict goes into its scan's state; the worker recording the last part aggregates the scan when it serves
  // `aggregate` (the default: no job hand-off), else adds the aggregation job for a worker that does (queue/complete-part.ts).
  const state = new ScanStateStore(commands, settings.queuePrefix);
  // Results live where the producers read them and wait for them (keyValue: the cluster when AVFLEET_REDIS_CLUSTER_NODES is set).
  const results = new ResultStore(keyValue, settings.queuePrefix, settings.resultTtlSec);
  const quarantine = openQuarantine({ settings, store, redis: keyValue, metrics, logger });
  // The retro-scan (AVFLEET_RETROSCAN; null when off): its memory, fed by the aggregation, and one retro queue per served rule in the first lane.
  const retro = openRetroscan({
    settings, rules: selection.rules.map((r) => r.name), redis: keyValue, connection: bull, queuePrefix: lanes.prefixes[0] as string, metrics, logger,
  });
  const aggregator = createAggregator({
    context: aggregationContextOf(config, settings.actions, whitelists.names), results, metrics, logger, quarantine, ...(retro ? { retro: retro.recorder } : {}),
  });
  // One Redis: the result's save script also removes the scan's state (on a cluster they lie in different slots).
  const aggregate = createAggregationJob(aggregator, state, results, { removeWithResult: !clustered });
  // A child job of a flow added by a producer from before D58 (a rolling upgrade, workers first) also returns its verdict:
  // its parent reads it that way. A plain part job returns nothing (nothing to store in the job and its events).
  const scanProcessor = (completePart: CompletePart) => async (job: Job<ScanJobData>): Promise<ScanJobResult | undefined> => {
    let result: ScanJobResult;
    try {
      result = await scanPart(job.data);
    } catch (err) {
      // The last attempt failed: that is the part's verdict, so its scan is aggregated anyway.
      if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await completePart(job.data, failedPartResult(job.data, errorText(err)));
      throw err;
    }
    await completePart(job.data, result);
    return job.parentKey ? result : undefined;
  };
  const aggregateProcessor = async (job: Job<AggregateJobRef | AggregateJobData>): Promise<void> => {
    // The parent of a flow added by a producer from before D58 carries the aggregation input and has its verdicts as children.
    if ('expected' in job.data) await aggregator.aggregate(job as Job<AggregateJobData>);
    else await aggregate(job.data.scanId);
  };
  // --concurrency is per queue and process: split over the lanes (each lane at least 1).
  const concurrency = Math.max(1, Math.ceil(settings.concurrency / lanes.prefixes.length));
  const laneQueues: Queue[] = [];
  const queuesToSample: { readonly queue: Queue; readonly lane: string }[] = [];
  for (const [index, prefix] of lanes.prefixes.entries()) {
    const lane = String(index);
    const connection = { connection: bull, prefix };
    const aggregateQueue = new Queue(AGGREGATE_QUEUE, connection);
    laneQueues.push(aggregateQueue);
    watch.absorb(aggregateQueue, `queue ${AGGREGATE_QUEUE} (lane ${lane})`);
    // A scan's last part is aggregated here, or handed to its lane's `aggregate` queue.
    const completePart = createPartCompleter(state, selection.aggregate ? aggregate : enqueueAggregation(aggregateQueue));
    const processor = scanProcessor(completePart);
    for (const rule of selection.rules) {
      const name = scanQueueName(rule.name);
      // rate_limit (docs/interfaces.md §2): BullMQ's queue limiter holds the whole fleet to N scans per period, split over the lanes.
      const limiter = rule.rateLimit ? { limiter: { max: Math.max(1, Math.floor(rule.rateLimit.max / lanes.prefixes.length)), duration: rule.rateLimit.durationMs } } : {};
      const worker = new Worker(name, processor, { ...connection, ...stalled, concurrency, maxStalledCount: 2, ...limiter });
      // Failed for good without the processor's last attempt (stalled too often: its workers were killed): recorded here.
      worker.on('failed', (job, err) => {
        if (!job?.finishedOn) return;
        completePart(job.data, failedPartResult(job.data, err.message)).catch((e: unknown) => logger.error({ queue: name, lane, jobId: job.id, err: errorText(e) }, 'a failed part could not be recorded; its scan waits'));
      });
      workers.push({ worker, lane });
    }
    if (selection.aggregate) {
      workers.push({ worker: new Worker(AGGREGATE_QUEUE, aggregateProcessor, { ...connection, ...stalled, concurrency, maxStalledCount: 5 }), lane });
      // One exporter of queue depths per queue set (docs/interfaces.md §6.5): the workers serving `aggregate`.
      for (const q of [AGGREGATE_QUEUE, ...config.rules.map((r) => scanQueueName(r.name))]) queuesToSample.push({ queue: new Queue(q, connection), lane });
    }
  }
  // The webhook outbox (notify/; README "Webhook"): served, like the other fleet-wide work, by the workers serving `aggregate`, in lane 0.
  const webhook = selection.aggregate
    ? serveWebhookQueue({ settings, connection: bull, prefix: webhookQueuePrefix(lanes.prefixes), metrics, logger, stalled })
    : null;
  if (webhook) {
    watch.absorb(webhook.worker, 'worker webhook (lane 0)', (err) => logger.error({ queue: webhook.worker.name, err: err.message }, 'worker error'));
    queuesToSample.push({ queue: webhook.queue, lane: '0' });
  }
  // Retro detections go to the webhook outbox (README "Webhook"): queued here, delivered by a worker serving `aggregate`.
  const outbox = retro ? openWebhookOutbox({ settings, connection: bull, prefix: webhookQueuePrefix(lanes.prefixes), metrics, logger }) : null;
  if (retro && outbox) {
    // Retro part jobs: their own queue per rule, a small concurrency and a fleet-wide rate, so live part jobs are not slowed.
    const rescan = createRescanPart({
      rules: new Map(selection.rules.map((r) => [r.name, r])), scanners, cache, store, memory: retro.memory,
      published: new SignatureVersions(keyValue, settings.queuePrefix, selection.rules.map((r) => r.name)),
      announce: opts.announce ?? outbox.announce, metrics, logger,
    });
    const r = settings.retroscan;
    for (const [rule, queue] of retro.queues) {
      const worker = new Worker(queue.name, async (job: Job<RetroPartJob>) => { await rescan(job.data); }, {
        connection: bull, prefix: lanes.prefixes[0] as string, ...stalled, concurrency: r.concurrency, limiter: { max: r.ratePerSec, duration: 1000 },
      });
      workers.push({ worker, lane: '0' });
      served.push(retroQueueName(rule));
      if (selection.aggregate) queuesToSample.push({ queue: new Queue(queue.name, { connection: bull, prefix: lanes.prefixes[0] as string }), lane: '0' });
    }
  }
  served.push(...selection.rules.map((r) => scanQueueName(r.name)), ...(selection.aggregate ? [AGGREGATE_QUEUE] : []), ...(webhook ? [webhook.worker.name] : []));
  for (const { queue, lane } of queuesToSample) watch.absorb(queue, `queue ${queue.name} (lane ${lane})`);
  // Folder-store retention: the workers serving `aggregate` prune, one of them per interval (docs/architecture.md, store/).
  // With the retro-scan on, nothing its memory still points at is pruned (the oldest remembered part's bytes, and all after them).
  const stopStorePruning = selection.aggregate
    ? startStoreRetention({ store, settings, redis: commands, metrics, logger, ...(retro ? { holdSince: () => retro.memory.oldestStoredAt() } : {}) })
    : () => undefined;
  // Quarantine retention, apart from the store's (AVFLEET_QUARANTINE_DAYS), the same way: one of these workers per interval.
  const stopExpiry = selection.aggregate
    ? scheduleQuarantineExpiry({ quarantine, redis: commands, queuePrefix: settings.queuePrefix, retentionDays: settings.quarantine.retentionDays, logger })
    : () => undefined;
  const stopRetroExpiry = selection.aggregate && retro
    ? scheduleRetroExpiry({ memory: retro.memory, redis: commands, queuePrefix: settings.queuePrefix, windowSec: settings.retroscan.windowSec, metrics, logger })
    : () => undefined;
  const stopPruning = (): void => { stopStorePruning(); stopExpiry(); stopRetroExpiry(); };
  for (const { worker: w, lane } of workers) {
    w.on('stalled', () => metrics.jobsStalled.inc({ queue: w.name, lane }));
    w.on('failed', (job, err) => logger.error({ queue: w.name, lane, jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'job failed'));
    watch.absorb(w, `worker ${w.name} (lane ${lane})`, (err) => logger.error({ queue: w.name, lane, err: err.message }, 'worker error'));
  }
  const stopSampling = queuesToSample.length > 0 ? sampleQueueDepths(queuesToSample, metrics, logger, { redis: [commands] }) : () => undefined;
  // A changed version (clamd RELOADed a newer database) starts one retro-scan of the rule's window, fleet-wide (retroscan/version-trigger.ts).
  const versionChanged = retro
    ? onVersionChange({ redis: keyValue, queuePrefix: settings.queuePrefix, windowSec: settings.retroscan.windowSec, starter: retro.starter, logger })
    : undefined;
  const stopPublishing = publishSignatureVersions(keyValue, settings.queuePrefix, scanners, logger, opts.signatureVersionIntervalMs, versionChanged);

  let opsAddress: AddressInfo | null = null;
  const ops = opts.serveOps === false ? null : buildOpsServer({ registry, readiness: readinessCheck({ ping }, store, scanners), logger });
  if (ops) {
    await listenOn(ops, settings.metricsListen.host, settings.metricsListen.port, '--metrics-listen');
    opsAddress = ops.address() as AddressInfo;
  }
  logger.info({ queues: served, lanes: lanes.prefixes.length, concurrency: settings.concurrency, ops: opsAddress }, 'worker started');

  return {
    queues: served,
    opsAddress,
    async close() {
      watch.stop();
      stopSampling();
      stopPublishing();
      stopPruning();
      await Promise.all([...workers.map(({ worker }) => worker.close()), webhook?.close()]);
      await Promise.all([...laneQueues, ...queuesToSample.map(({ queue }) => queue)].map((q) => q.close()));
      await outbox?.close();
      await retro?.close();
      await Promise.all([...scanners.values()].map((s) => s.close?.()));
      if (ops) await new Promise<void>((resolve) => ops.close(() => resolve()));
      await Promise.allSettled([bull.quit(), commands.quit()]);
    },
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function stalledOptions(ms: number): { stalledInterval: number; lockDuration: number } {
  return { stalledInterval: ms, lockDuration: ms };
}
