import type { Corpus } from '../corpus/generate-corpus';
import { childPids, type ProcessGroup } from '../measure/proc-stats';
import type { RedisMeter } from '../measure/redis-meter';
import { NO_WORKER_COUNTS, scrapeWorkerCounters, workerMetricsBetween, type WorkerCounters } from '../measure/worker-metrics';
import { startFleet, type BenchStore, type RunningFleet } from './fleet-processes';
import { driveFleet } from './http-driver';
import { measurePass, type PassResult } from './measure-pass';

/** One pass of the corpus through the running fleet. */
export interface FleetPass {
  label: string;
  /** Runs right before the pass (e.g. clamd RELOAD for a cold pass). */
  before?: () => Promise<void>;
  /** Messages of this pass instead of the phase's corpus (a warm-up pass of other messages). */
  corpus?: Corpus;
}

export interface FleetPhaseOptions {
  corpus: Corpus;
  /** Passes run one after the other through the same fleet processes (as the Rspamd peer's cold and warm passes). */
  passes: FleetPass[];
  workDir: string;
  scanner: { host: string; port: number };
  redis: RedisMeter;
  redisUrl: string;
  redisPid: number | null;
  queuePrefix: string;
  cachePrefix: string;
  store: BenchStore;
  /** Folder that holds the store's bytes on disk (the folder store, or s3rver's folder). */
  storeDiskDir: string | null;
  workers: number;
  workerConcurrency: number;
  /** AVFLEET_PRODUCER_PROCESSES (default 1); the producer's CPU and RSS then cover its children too. */
  producerProcesses?: number;
  clientConcurrency: number;
  /** Processes measured besides producer and workers (clamd, s3rver…). */
  extraGroups: ProcessGroup[];
  /** Whether EICAR messages must come back `reject` (false against the simulator, which finds nothing). */
  checkVerdicts?: boolean;
}

/**
 * Starts a fleet (separate producer and worker processes), runs the passes through it one
 * after the other, then stops it. Redis keys stay (a later fleet's warm pass reuses them).
 */
export async function runFleetPasses(o: FleetPhaseOptions): Promise<PassResult[]> {
  const fleet = await startFleet({
    workDir: o.workDir,
    scanner: o.scanner,
    redisUrl: o.redisUrl,
    queuePrefix: o.queuePrefix,
    cachePrefix: o.cachePrefix,
    store: o.store,
    workers: o.workers,
    workerConcurrency: o.workerConcurrency,
    env: {
      ...((o.producerProcesses ?? 1) > 1 ? { AVFLEET_PRODUCER_PROCESSES: String(o.producerProcesses) } : {}),
      // --redis-cluster: every Redis use of the fleet on the cluster.
      ...(o.redis.clusterNodes ? { AVFLEET_REDIS_CLUSTER_NODES: o.redis.clusterNodes } : {}),
    },
  });
  // A producer cluster's primary and its children (forked at start, before /readyz answers).
  const producerPids = [fleet.producerPid, ...childPids(fleet.producerPid)];
  const groups: ProcessGroup[] = [
    { name: 'producer', pids: () => producerPids, resetPeak: true },
    { name: 'worker', pids: () => fleet.workerPids, resetPeak: true },
    ...o.extraGroups,
    ...(o.redisPid !== null ? [{ name: 'redis', pids: () => [o.redisPid as number] }] : []),
  ];
  const results: PassResult[] = [];
  try {
    // The workers' counters before each pass: the first pass starts from zero (a fresh process).
    let counters: WorkerCounters | null = NO_WORKER_COUNTS;
    for (const pass of o.passes) {
      await pass.before?.();
      const result = await measureFleetPass({ ...o, corpus: pass.corpus ?? o.corpus }, fleet, groups, pass.label);
      const after = await scrapeWorkerCounters(fleet.workerMetricsUrls);
      // The pids name the processes' CPU profiles (`--cpu-prof`: CPU.<date>.<time>.<pid>…) for summarize-cpu-profile.
      result.extra = { ...result.extra, workerMetrics: workerMetricsBetween(counters, after), pids: { producer: producerPids, worker: fleet.workerPids } };
      counters = after;
      results.push(result);
    }
    return results;
  } finally {
    await fleet.stop();
  }
}

function measureFleetPass(o: FleetPhaseOptions, fleet: RunningFleet, groups: ProcessGroup[], label: string): Promise<PassResult> {
  return measurePass({
    label,
    corpus: o.corpus,
    groups,
    redis: o.redis,
    storeDir: o.storeDiskDir,
    drive: async () => (await driveFleet(fleet.producerUrl, o.corpus.messages, o.clientConcurrency)).map((r) => {
      const ok = r.status === 200 && r.action !== null;
      return { latencyMs: r.latencyMs, ok, correct: o.checkVerdicts === false ? ok : r.correct };
    }),
  });
}
