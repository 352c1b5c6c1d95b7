import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { AntivirusConfig, FleetSettings } from '@avfleet/config';
import { createAggregator, parentJobOf } from '../aggregate/aggregate-job';
import { rejectThreshold } from '../aggregate/pick-action';
import { aggregationContextOf } from '../aggregate/finish-scan';
import { loadWhitelists } from '../aggregate/load-whitelists';
import { ResultStore } from '../aggregate/result-store';
import { RuleVerdictCache } from '../cache/rule-verdict-cache';
import { VerdictCache } from '../cache/verdict-cache';
import type { ScanResult } from '../contracts/scan-result';
import type { FleetMetrics } from '../observe/fleet-metrics';
import type { Logger } from '../observe/logger';
import type { Readiness } from '../observe/ops-server';
import { readinessCheck } from '../observe/readiness';
import { addPartJobs, createScanEnqueuer } from '../queue/enqueue-scan';
import { resultChannel, resultKey, scanQueueName } from '../queue/queue-names';
import { ScanReconciler } from '../queue/reconcile-scans';
import { scanIdTime } from '../contracts/scan-id';
import { messageKey } from '../store/part-key';
import { ScanStateStore } from '../queue/scan-state';
import { openQueueLanes } from '../queue/queue-lanes';
import { checkEvictionPolicy, openRedisConnections } from '../queue/redis-connections';
import { SignatureVersions } from '../scan/signature-versions';
import { openFleetStore } from '../store/open-fleet-store';
import { openQuarantine } from '../quarantine/open-quarantine';
import type { Quarantine } from '../quarantine/quarantine';
import { openRetroscan, type RetroAdmin } from '../retroscan/open-retroscan';
import { createIntake } from './accept-message';
import { ResultWaiter } from './await-result';
import { Backpressure } from './backpressure';
import { createScanCanceller } from './cancel-scan';
import { createMessageSubmitter, type MessageSubmitter } from './submit-message';
import { guarded } from './within';

/** How often the producer looks for accepted scans that Redis lost (queue/reconcile-scans.ts). */
const RECONCILE_SWEEP_MS = 2000;

export interface OpenIntakeOptions {
  readonly settings: FleetSettings;
  readonly config: AntivirusConfig;
  readonly logger: Logger;
  readonly metrics: FleetMetrics;
}

/**
 * Where a scan stands: its result, or its state while it runs — `rescanning` when Redis lost
 * its result or state and this producer enqueued it again (queue/reconcile-scans.ts); null
 * when unknown or expired.
 */
export type ScanStatus =
  | { readonly done: true; readonly result: ScanResult }
  | { readonly done: false; readonly state: 'queued' | 'running' | 'rescanning' }
  /** Neither result nor state, and no producer process to enqueue it again, but the message is still in the store: resubmit it. */
  | { readonly done: false; readonly state: 'lost' };

/** The intake side of a fleet, opened once per process and shared by every front end (HTTP today). */
export interface OpenedIntake {
  /** Submit a message and get its verdict by a deadline. */
  readonly submitter: MessageSubmitter;
  /** A submitted scan's result or state (Redis calls bounded like the submitter's; AVF_ERR_UNAVAILABLE past the bound). */
  scanStatus(scanId: string): Promise<ScanStatus | null>;
  /** The quarantine: what the aggregation keeps, read, released and deleted by the admin routes. */
  readonly quarantine: Quarantine;
  /** The retro-scan's admin side (POST /retroscan, GET /retro-detections); null when AVFLEET_RETROSCAN is off. */
  readonly retro: RetroAdmin | null;
  /** Redis and the store answer. */
  readonly readiness: () => Promise<Readiness>;
  /** Closes queues and Redis connections (front ends stop taking requests first). */
  close(): Promise<void>;
}

/**
 * Composition of the intake: Redis (queues, results, verdict cache, published signature
 * versions), the object store, the scan enqueuer and canceller, the result waiter, back-pressure, and the
 * aggregator for messages answered without a flow.
 */
export async function openIntake({ settings, config, logger, metrics }: OpenIntakeOptions): Promise<OpenedIntake> {
  const { bull, commands, keyValue, clustered, watch, ping, enqueueConnection: openEnqueueConnection } = openRedisConnections(settings, { logger, metrics });
  await checkEvictionPolicy(commands, logger);
  const lanes = await openQueueLanes(settings, commands, clustered, logger);
  const store = openFleetStore(settings, logger);
  const whitelists = loadWhitelists(config.rules, { logger });
  // Enqueueing fails at once while Redis is down (no offline queue, no retry of a command in flight):
  // a submission refused as unavailable can never land in the queue later, when Redis returns (no orphan jobs).
  const enqueueConnection = openEnqueueConnection();
  // Every lane's rule queues (queue/queue-lanes.ts). Part jobs are added through the fail-fast connection; the other
  // calls of these queues (depths, removing a cancelled scan's parts) use BullMQ's.
  const ruleQueues = config.rules.map((r) => scanQueueName(r.name));
  const laneQueues = (connection: typeof bull): Map<string, Queue>[] =>
    lanes.prefixes.map((prefix) => new Map(ruleQueues.map((name) => [name, new Queue(name, { connection, prefix })])));
  const scanQueues = laneQueues(bull);
  const enqueueQueues = laneQueues(enqueueConnection);
  const allQueues = [...scanQueues, ...enqueueQueues].flatMap((m) => [...m.values()]);
  for (const q of allQueues) watch.absorb(q, `queue ${q.name}`);
  const state = new ScanStateStore(enqueueConnection, settings.queuePrefix);
  const results = new ResultStore(keyValue, settings.queuePrefix, settings.resultTtlSec);
  // One subscription per process hears the results of the scans it submitted (intake/await-result.ts). Results
  // are published where they are stored (keyValue: the cluster when AVFLEET_REDIS_CLUSTER_NODES is set), so the
  // subscription is opened there too.
  const notify = resultChannel(settings.queuePrefix, randomUUID());
  const subscriber = keyValue.duplicate();
  watch.absorb(subscriber, 'result subscription');
  const readState = new ScanStateStore(commands, settings.queuePrefix);
  // Every scan enqueued here is tracked until its result is heard, and enqueued again when Redis lost it (a failover).
  const reconcile = new ScanReconciler({
    state: readState,
    hasResult: async (scanId) => (await commands.exists(resultKey(settings.queuePrefix, scanId))) === 1,
    jobExists: async (lane, queue, jobId) => {
      const q = scanQueues[lane]?.get(queue);
      return q ? (await commands.exists(q.toKey(jobId))) === 1 : true;
    },
    reopen: async ({ job, parts, lane }) => {
      await readState.open(job);
      await addPartJobs(parts, (name) => scanQueues[lane]?.get(name) as Queue);
    },
    readd: (lane, parts) => addPartJobs(parts, (name) => scanQueues[lane]?.get(name) as Queue),
    logger,
    counted: (reason, n) => metrics.scansReenqueued.inc({ reason }, n),
  }, { forgetAfterMs: settings.resultTtlSec * 1000 });
  const stopReconciling = reconcile.start(RECONCILE_SWEEP_MS);
  const waiter = new ResultWaiter(subscriber, notify, results, (scanId) => reconcile.finished(scanId));
  // Not awaited: Redis may be down at start (readiness says so); ioredis subscribes once it answers, and again after each reconnect.
  waiter.start().catch((err: unknown) => logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'result channel subscription failed'));
  const context = aggregationContextOf(config, settings.actions, whitelists.names);
  const quarantine = openQuarantine({ settings, store, redis: keyValue, metrics, logger });
  // The retro-scan (AVFLEET_RETROSCAN): messages answered here without a flow add themselves as carriers of remembered parts.
  const retro = openRetroscan({
    settings, rules: config.rules.map((r) => r.name), redis: keyValue, connection: bull, queuePrefix: lanes.prefixes[0] as string, metrics, logger,
  });
  const aggregator = createAggregator({ context, results, metrics, logger, quarantine, ...(retro ? { retro: retro.recorder } : {}) });
  const cancel = createScanCanceller(results, readState, (name) => scanQueues.flatMap((lane) => lane.get(name) ?? []));

  const intake = createIntake({
    config, store, ipWhitelists: whitelists.ips,
    enqueue: createScanEnqueuer(state, (name, lane) => enqueueQueues[lane]?.get(name) as Queue, { nextLane: lanes.next, onEnqueued: (scan) => reconcile.track(scan) }),
    notify,
    mimeLimits: { ...settings.mime, archive: settings.archive },
    rejectThreshold: rejectThreshold(context.thresholds),
    logger, metrics,
    probe: {
      cache: new RuleVerdictCache(new VerdictCache(keyValue), settings.cacheRspamdCompat, metrics),
      sigvers: new SignatureVersions(keyValue, settings.queuePrefix, config.rules.map((r) => r.name)),
    },
    aggregator,
    rememberParts: retro !== null,
    cancels: {
      cancel: (scanId, parts) => {
        reconcile.finished(scanId);
        return cancel(scanId, parts);
      },
    },
  });
  const submitter = createMessageSubmitter({
    intake, waiter, backpressure: new Backpressure(scanQueues.flatMap((lane) => [...lane.values()]), settings.maxWaiting), metrics, logger,
    // The result so far of a scan past its Deadline: stored when done, else its state's part verdicts so far.
    partialResult: async (scanId) => {
      const done = await results.load(scanId);
      if (done) return done;
      const scan = await readState.read(scanId);
      return scan ? aggregator.partial(parentJobOf(scan)) : null;
    },
  });

  return {
    submitter,
    quarantine,
    retro: retro?.admin ?? null,
    scanStatus: (scanId) => scanStatusOf(scanId, results, readState, submitter.storeTimeoutMs, {
      reconcile,
      // Stored under the day of its acceptance, which its id carries (acceptMessage: newScanId(now), putMessage(…, now)).
      storedMessage: async (id) => {
        const at = scanIdTime(id);
        return at !== null && store.exists(messageKey(id, new Date(at)));
      },
    }),
    readiness: readinessCheck({ ping }, store),
    async close() {
      stopReconciling();
      watch.stop();
      await waiter.close();
      await Promise.allSettled(allQueues.map((q) => q.close()));
      await retro?.close();
      await Promise.allSettled([bull.quit(), commands.quit(), subscriber.quit(), enqueueConnection.quit()]);
    },
  };
}

/** What scanStatusOf asks when a scan has neither result nor state. */
export interface LostScanLookups {
  /** This process's reconciler: a scan it accepted and has not seen finish is enqueued again. */
  readonly reconcile?: Pick<ScanReconciler, 'recheck'>;
  /** Whether the scan's raw message is still in the store. */
  readonly storedMessage?: (scanId: string) => Promise<boolean>;
}

/**
 * The stored result, else the scan's progress from its state. With neither, a scan this
 * process accepted and has not seen finish is checked at once (`reconcile`): Redis lost
 * it, and it is enqueued again (`rescanning`); another one whose message is still in the
 * store was finished and its result lost with Redis (`lost`: resubmit it). Null when
 * unknown, expired or cancelled.
 */
export async function scanStatusOf(
  scanId: string,
  results: Pick<ResultStore, 'load'>,
  state: Pick<ScanStateStore, 'progress'>,
  boundMs: number,
  lost: LostScanLookups = {},
): Promise<ScanStatus | null> {
  const { reconcile } = lost;
  const result = await guarded(results.load(scanId), boundMs, 'Redis (scan result)');
  if (result) return { done: true, result };
  const progress = await guarded(state.progress(scanId), boundMs, 'Redis (scan state)');
  if (progress !== null) return { done: false, state: progress };
  const outcome = reconcile ? await guarded(reconcile.recheck(scanId), boundMs, 'Redis (lost scan)') : 'untracked';
  if (outcome === 'state_lost') return { done: false, state: 'rescanning' };
  if (outcome === 'untracked') {
    const stored = lost.storedMessage ? await guarded(lost.storedMessage(scanId), boundMs, 'the object store') : false;
    return stored ? { done: false, state: 'lost' } : null;
  }
  // Finished (or its state written back) between the reads: read again.
  return scanStatusOf(scanId, results, state, boundMs);
}
