import type { Corpus } from '../corpus/generate-corpus';
import { childPids, type ProcessGroup } from '../measure/proc-stats';
import type { RedisMeter } from '../measure/redis-meter';
import { scrapeWorkerMetrics } from '../measure/worker-metrics';
import { startFleet, type BenchStore } from './fleet-processes';
import { driveFleet } from './http-driver';
import { measurePass, type PassResult } from './measure-pass';

export interface FleetPhaseOptions {
  corpus: Corpus;
  label: string;
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
  /** Runs right before the pass (e.g. clamd RELOAD for a cold pass). */
  before?: () => Promise<void>;
}

/**
 * One pass of the corpus through a freshly started fleet (separate producer and worker
 * processes); the fleet is stopped afterwards. Redis keys stay (warm passes reuse them).
 */
export async function runFleetPass(o: FleetPhaseOptions): Promise<PassResult> {
  const fleet = await startFleet({
    workDir: o.workDir,
    scanner: o.scanner,
    redisUrl: o.redisUrl,
    queuePrefix: o.queuePrefix,
    cachePrefix: o.cachePrefix,
    store: o.store,
    workers: o.workers,
    workerConcurrency: o.workerConcurrency,
    ...((o.producerProcesses ?? 1) > 1 ? { env: { AVFLEET_PRODUCER_PROCESSES: String(o.producerProcesses) } } : {}),
  });
  // A producer cluster's primary and its children (forked at start, before /readyz answers).
  const producerPids = [fleet.producerPid, ...childPids(fleet.producerPid)];
  try {
    await o.before?.();
    const groups: ProcessGroup[] = [
      { name: 'producer', pids: () => producerPids, resetPeak: true },
      { name: 'worker', pids: () => fleet.workerPids, resetPeak: true },
      ...o.extraGroups,
      ...(o.redisPid !== null ? [{ name: 'redis', pids: () => [o.redisPid as number] }] : []),
    ];
    const result = await measurePass({
      label: o.label,
      corpus: o.corpus,
      groups,
      redis: o.redis,
      storeDir: o.storeDiskDir,
      drive: async () => (await driveFleet(fleet.producerUrl, o.corpus.messages, o.clientConcurrency)).map((r) => {
          const ok = r.status === 200 && r.action !== null;
          return { latencyMs: r.latencyMs, ok, correct: o.checkVerdicts === false ? ok : r.correct };
        }),
    });
    result.extra = { ...result.extra, workerMetrics: await scrapeWorkerMetrics(fleet.workerMetricsUrls) };
    return result;
  } finally {
    await fleet.stop();
  }
}
