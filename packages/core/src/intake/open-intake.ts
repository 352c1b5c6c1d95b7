import { FlowProducer, Queue, QueueEvents, type Job } from 'bullmq';
import type { AntivirusConfig, FleetSettings } from '@avfleet/config';
import { createAggregator } from '../aggregate/aggregate-job';
import { rejectThreshold } from '../aggregate/pick-action';
import { aggregationContextOf } from '../aggregate/finish-scan';
import { loadWhitelists } from '../aggregate/load-whitelists';
import { ResultStore } from '../aggregate/result-store';
import { RuleVerdictCache } from '../cache/rule-verdict-cache';
import { VerdictCache } from '../cache/verdict-cache';
import type { AggregateJobData } from '../contracts/aggregate-job-data';
import type { ScanResult } from '../contracts/scan-result';
import type { FleetMetrics } from '../observe/fleet-metrics';
import type { Logger } from '../observe/logger';
import type { Readiness } from '../observe/ops-server';
import { readinessCheck } from '../observe/readiness';
import { AGGREGATE_QUEUE, scanQueueName } from '../queue/queue-names';
import { checkEvictionPolicy, openRedisConnections } from '../queue/redis-connections';
import { SignatureVersions } from '../scan/signature-versions';
import { openFleetStore } from '../store/open-fleet-store';
import { createIntake } from './accept-message';
import { ResultWaiter } from './await-result';
import { Backpressure } from './backpressure';
import { createMessageSubmitter, type MessageSubmitter } from './submit-message';
import { guarded } from './within';

export interface OpenIntakeOptions {
  readonly settings: FleetSettings;
  readonly config: AntivirusConfig;
  readonly logger: Logger;
  readonly metrics: FleetMetrics;
}

/** Where a scan stands: its result, or its state while it runs; null when unknown or expired. */
export type ScanStatus = { readonly done: true; readonly result: ScanResult } | { readonly done: false; readonly state: 'queued' | 'running' };

/** The intake side of a fleet, opened once per process and shared by every front end (HTTP today). */
export interface OpenedIntake {
  /** Submit a message and get its verdict by a deadline. */
  readonly submitter: MessageSubmitter;
  /** A submitted scan's result or state (Redis calls bounded like the submitter's; AVF_ERR_UNAVAILABLE past the bound). */
  scanStatus(scanId: string): Promise<ScanStatus | null>;
  /** Redis and the store answer. */
  readonly readiness: () => Promise<Readiness>;
  /** Closes queues and Redis connections (front ends stop taking requests first). */
  close(): Promise<void>;
}

/**
 * Composition of the intake: Redis (queues, results, verdict cache, published signature
 * versions), the object store, the flow producer, the result waiter, back-pressure, and the
 * aggregator for messages answered without a flow.
 */
export async function openIntake({ settings, config, logger, metrics }: OpenIntakeOptions): Promise<OpenedIntake> {
  const { bull, commands, keyValue, watch, ping } = openRedisConnections(settings, { logger, metrics });
  await checkEvictionPolicy(commands, logger);
  const store = openFleetStore(settings, logger);
  const whitelists = loadWhitelists(config.rules, { logger });
  const connection = { connection: bull, prefix: settings.queuePrefix };
  // Enqueueing fails at once while Redis is down (no offline queue, no retry of a command in flight):
  // a submission refused as unavailable can never land in the queue later, when Redis returns (no orphan jobs).
  const enqueueConnection = bull.duplicate({ enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  watch.absorb(enqueueConnection, 'enqueue connection');
  const flow = new FlowProducer({ connection: enqueueConnection, prefix: settings.queuePrefix });
  watch.absorb(flow, 'flow producer');
  const aggregateQueue = new Queue(AGGREGATE_QUEUE, connection);
  const scanQueues = config.rules.map((r) => new Queue(scanQueueName(r.name), connection));
  for (const q of [aggregateQueue, ...scanQueues]) watch.absorb(q, `queue ${q.name}`);
  const eventsConnection = bull.duplicate();
  watch.absorb(eventsConnection, 'queue events connection');
  const events = new QueueEvents(AGGREGATE_QUEUE, { connection: eventsConnection, prefix: settings.queuePrefix });
  watch.absorb(events, 'queue events');
  const results = new ResultStore(keyValue, settings.queuePrefix, settings.resultTtlSec);
  const waiter = new ResultWaiter(events, results);
  const context = aggregationContextOf(config, settings.actions, whitelists.names);
  const aggregator = createAggregator({ context, results, metrics, logger });
  const parentJob = (scanId: string): Promise<Job<AggregateJobData> | undefined> => aggregateQueue.getJob(scanId);

  const intake = createIntake({
    config, store, flow, ipWhitelists: whitelists.ips,
    mimeLimits: { ...settings.mime, archive: settings.archive },
    rejectThreshold: rejectThreshold(context.thresholds),
    logger, metrics,
    probe: {
      cache: new RuleVerdictCache(new VerdictCache(keyValue), settings.cacheRspamdCompat, metrics),
      sigvers: new SignatureVersions(keyValue, settings.queuePrefix, config.rules.map((r) => r.name)),
    },
    aggregator,
    cancels: results,
  });
  const submitter = createMessageSubmitter({
    intake, waiter, backpressure: new Backpressure(scanQueues, settings.maxWaiting), metrics, logger,
    // The result so far of a scan past its Deadline: stored when done, else its parent job's children so far.
    partialResult: async (scanId) => {
      const done = await results.load(scanId);
      if (done) return done;
      const job = await parentJob(scanId);
      return job ? aggregator.partial(job) : null;
    },
  });

  return {
    submitter,
    scanStatus: (scanId) => scanStatusOf(scanId, results, parentJob, submitter.storeTimeoutMs),
    readiness: readinessCheck({ ping }, store),
    async close() {
      watch.stop();
      waiter.close();
      await Promise.allSettled([events.close(), flow.close(), aggregateQueue.close(), ...scanQueues.map((q) => q.close())]);
      await Promise.allSettled([bull.quit(), commands.quit(), eventsConnection.quit(), enqueueConnection.quit(), ...(keyValue === commands ? [] : [keyValue.quit()])]);
    },
  };
}

/** The stored result, else the parent job's state; a completed job without a result has expired. */
export async function scanStatusOf(
  scanId: string,
  results: Pick<ResultStore, 'load'>,
  parentJob: (scanId: string) => Promise<{ getState(): Promise<string> } | undefined>,
  boundMs: number,
): Promise<ScanStatus | null> {
  const result = await guarded(results.load(scanId), boundMs, 'Redis (scan result)');
  if (result) return { done: true, result };
  const job = await guarded(parentJob(scanId), boundMs, 'Redis (scan job)');
  if (!job) return null;
  const state = await guarded(job.getState(), boundMs, 'Redis (scan job)');
  if (state === 'unknown' || state === 'completed') return null;
  return { done: false, state: state === 'active' ? 'running' : 'queued' };
}
