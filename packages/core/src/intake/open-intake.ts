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
import { cancelledKey, fleetMarkerKey, rescanKey, resultChannel, resultKey, scanQueueName, scanStateKey } from '../queue/queue-names';
import { messageKey } from '../store/part-key';
import { ScanReconciler } from '../queue/reconcile-scans';
import { scanIdTime } from '../contracts/scan-id';
import { ScanStateStore } from '../queue/scan-state';
import { openQueueLanes } from '../queue/queue-lanes';
import { checkEvictionPolicy, openRedisConnections } from '../queue/redis-connections';
import { SignatureVersions } from '../scan/signature-versions';
import { openFleetStore } from '../store/open-fleet-store';
import { openQuarantine } from '../quarantine/open-quarantine';
import type { Quarantine } from '../quarantine/quarantine';
import { acceptMessage, createIntake, type IntakeDeps } from './accept-message';
import { rescanGate, rescanStored, type RescanOutcome } from './rescan-stored';
import { StoreRecovery } from './recover-from-store';
import { openRetroscan, type RetroAdmin } from '../retroscan/open-retroscan';
import { ResultWaiter } from './await-result';
import { Backpressure } from './backpressure';
import { createScanCanceller } from './cancel-scan';
import { createMessageSubmitter, type MessageSubmitter } from './submit-message';
import { guarded } from './within';

/** How often the producer looks for accepted scans that Redis lost (queue/reconcile-scans.ts). */
const RECONCILE_SWEEP_MS = 2000;
/**
 * How long one rescan from the store stays claimed (intake/rescan-stored.ts): `GET /scans/:id`
 * answers `rescanning` meanwhile; a producer that died between claim and enqueue holds it no longer.
 */
const RESCAN_CLAIM_MS = 120_000;
/** Rescans from the store one producer process runs at once (each holds its message in memory). */
const RESCANS_AT_ONCE = 4;

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
  /** Neither result nor state, and the message is still in the store but without its request (stored before D69): resubmit it. */
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
  /** Claims a scan's rebuild for RESCAN_CLAIM_MS (SET NX): one enqueue per lost scan, whoever finds it lost. */
  const claimRescan = async (scanId: string): Promise<boolean> =>
    (await commands.set(rescanKey(settings.queuePrefix, scanId), '1', 'PX', RESCAN_CLAIM_MS, 'NX')) === 'OK';
  // Every scan enqueued here is tracked until its result is heard, and enqueued again when Redis lost it (a failover).
  const reconcile = new ScanReconciler({
    state: readState,
    hasResult: async (scanId) => (await commands.exists(resultKey(settings.queuePrefix, scanId))) === 1,
    jobExists: async (lane, queue, jobId) => {
      const q = scanQueues[lane]?.get(queue);
      return q ? (await commands.exists(q.toKey(jobId))) === 1 : true;
    },
    reopen: async ({ job, parts, lane }) => {
      // The rescan's claim: a scan rebuilt meanwhile from the store (a GET, the recovery) is not opened twice.
      if (!(await claimRescan(job.scanId))) return;
      await readState.open(job);
      await addPartJobs(parts, (name) => scanQueues[lane]?.get(name) as Queue);
    },
    readd: (lane, parts) => addPartJobs(parts, (name) => scanQueues[lane]?.get(name) as Queue),
    logger,
    counted: (reason, n) => metrics.scansReenqueued.inc({ reason }, n),
  }, { forgetAfterMs: settings.resultTtlSec * 1000 });
  const stopReconciling = reconcile.start(RECONCILE_SWEEP_MS);
  // Stored under the day of its acceptance, which its id carries (acceptMessage: newScanId(now), putMessage(…, now)).
  const storedKeyOf = (scanId: string): string => messageKey(scanId, new Date(scanIdTime(scanId) ?? 0));
  const waiter = new ResultWaiter(subscriber, notify, results, (scanId) => reconcile.finished(scanId), !clustered);
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

  const intakeDeps: IntakeDeps = {
    config, store, ipWhitelists: whitelists.ips,
    // One Redis: the state and the part jobs share the enqueue connection, so while it is ready they go out together (D62).
    enqueue: createScanEnqueuer(state, (name, lane) => enqueueQueues[lane]?.get(name) as Queue, {
      nextLane: lanes.next, inOrder: () => !clustered && enqueueConnection.status === 'ready', onEnqueued: (scan) => reconcile.track(scan),
    }),
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
      cancel: async (scanId, parts) => {
        reconcile.finished(scanId);
        await cancel(scanId, parts);
        // Nor is it rebuilt after a Redis data loss took its cancel mark (best effort: a part still scanning fails on its own).
        if (parts && parts.length > 0) await store.delete(storedKeyOf(scanId)).catch(() => undefined);
      },
    },
  };
  const intake = createIntake(intakeDeps);
  // A scan Redis lost after its result was stored (or with its producer gone) is rebuilt from the store (D69).
  const inTurn = rescanGate(RESCANS_AT_ONCE);
  const rescan = (scanId: string): ReturnType<typeof rescanStored> => inTurn(() => rescanStored(scanId, {
    store,
    accept: (raw, meta, shape, again) => acceptMessage(raw, meta, intakeDeps, scanIdTime(again.scanId) ?? Date.now(), shape, undefined, again),
    claim: claimRescan,
    release: async (scanId) => {
      await commands.del(rescanKey(settings.queuePrefix, scanId));
    },
    resultTtlMs: settings.resultTtlSec * 1000,
    configDigest: config.digest,
    logger,
    counted: () => metrics.scansReenqueued.inc({ reason: 'result_lost' }),
  }));
  // Redis lost its data with the producers that tracked its scans: the recent stored messages it lost are rebuilt (D70).
  const recovery = new StoreRecovery({
    readMarker: () => commands.get(fleetMarkerKey(settings.queuePrefix)),
    claimMarker: async (value) => (await commands.set(fleetMarkerKey(settings.queuePrefix), value, 'NX')) === 'OK',
    listMessageIds: (day, limit) => store.listMessageIds(day, limit),
    unfinished: (ids) => Promise.all(ids.map(async (id) => {
      const found = await Promise.all([resultKey, scanStateKey, cancelledKey].map((key) => commands.exists(key(settings.queuePrefix, id))));
      return found.every((n) => n === 0);
    })),
    rescan,
    resultTtlMs: settings.resultTtlSec * 1000,
    logger,
  });
  const stopRecovering = recovery.start(RECONCILE_SWEEP_MS);
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
      rescan,
      rescanning: async (id) => (await commands.exists(rescanKey(settings.queuePrefix, id))) === 1,
    }),
    readiness: readinessCheck({ ping }, store),
    async close() {
      stopReconciling();
      stopRecovering();
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
  /** Rebuilds the scan from its stored message and request (intake/rescan-stored.ts). */
  readonly rescan?: (scanId: string) => Promise<RescanOutcome>;
  /** Whether the scan is being rebuilt that way (its claim lives): its progress reads `rescanning`. */
  readonly rescanning?: (scanId: string) => Promise<boolean>;
}

/**
 * The stored result, else the scan's progress from its state (`rescanning` while it is
 * rebuilt from the store). With neither, a scan this process accepted and has not seen
 * finish is checked at once (`reconcile`): Redis lost it, and it is enqueued again
 * (`rescanning`); any other one whose message and request are still in the store and
 * whose result would still be live is rebuilt from them (`rescan`: `rescanning`, or its
 * result when every verdict was cached); one stored without its request (before D69) is
 * `lost` (resubmit it). Null when unknown, expired or cancelled.
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
  if (progress !== null) {
    const again = lost.rescanning ? await guarded(lost.rescanning(scanId), boundMs, 'Redis (scan state)') : false;
    return { done: false, state: again ? 'rescanning' : progress };
  }
  const outcome = reconcile ? await guarded(reconcile.recheck(scanId), boundMs, 'Redis (lost scan)') : 'untracked';
  if (outcome === 'state_lost') return { done: false, state: 'rescanning' };
  if (outcome === 'untracked') {
    const rebuilt = lost.rescan ? await guarded(lost.rescan(scanId), boundMs, 'the object store or Redis (rescan)') : null;
    if (rebuilt === null) return null;
    if (rebuilt.kind === 'done') return { done: true, result: rebuilt.result };
    return { done: false, state: rebuilt.kind === 'rescanning' ? 'rescanning' : 'lost' };
  }
  // Finished (or its state written back) between the reads: read again.
  return scanStatusOf(scanId, results, state, boundMs);
}
