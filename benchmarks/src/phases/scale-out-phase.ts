import { join } from 'node:path';
import type { Corpus } from '../corpus/generate-corpus';
import type { RedisMeter } from '../measure/redis-meter';
import type { ClamdSimulator } from '../services/clamd-simulator';
import { runFleetPasses } from './fleet-phase';
import { round, type PassResult } from './measure-pass';

export interface ScaleOutOptions {
  corpus: Corpus;
  workDir: string;
  sim: ClamdSimulator;
  simLatencyMs: number;
  redis: RedisMeter;
  redisUrl: string;
  redisPid: number | null;
  /** Unique per point; keys are removed by the caller. */
  prefixFor: (workers: number) => string;
  workers: number;
  /**
   * Messages passed through each point's fresh processes before the measured pass (outside its
   * window): the processes' first jobs run cold code (module start-up, V8 compiling the hot paths),
   * which is no cost of a fleet that runs for hours. Other messages than the measured ones, and
   * none with EICAR, so the measured pass finds nothing of theirs in the verdict cache.
   */
  warmUp: Corpus | null;
  /** Scans in flight per worker process. */
  perWorker: number;
  cores: number;
}

/** What most likely held the fleet back at one scale-out point. */
export function classifyBottleneck(p: { slotUse: number; cpuBusy: number; fleetShare: number; producerCores: number; workerCoresEach: number }): string {
  if (p.slotUse >= 0.8) return 'scanner slots (workers x 2 x scan time)';
  if (p.cpuBusy >= 0.85 && p.fleetShare < 0.6) return 'CPU taken by other processes on the machine';
  if (p.cpuBusy >= 0.85) return p.producerCores >= 0.8 ? 'CPU: cores busy, producer ~1 core' : 'CPU: cores busy';
  if (p.producerCores >= 0.85) return 'producer (one core)';
  if (p.workerCoresEach >= 0.85) return 'worker event loop (one core each)';
  return 'hand-offs (Redis round trips, queue polling)';
}

/**
 * One point of the scale-out curve: `workers` worker processes at `perWorker` concurrency
 * against the clamd simulator, a fresh verdict cache and store, one producer.
 */
export async function runScaleOutPoint(o: ScaleOutOptions): Promise<PassResult> {
  const prefix = o.prefixFor(o.workers);
  const dir = join(o.workDir, `scale-${o.workers}`);
  let scansBefore = 0;
  const label = `scale-out: ${o.workers} worker${o.workers > 1 ? 's' : ''} x ${o.perWorker}, sim ${o.simLatencyMs} ms`;
  const results = await runFleetPasses({
    corpus: o.corpus,
    passes: [
      ...(o.warmUp ? [{ label: `${label}, warm-up`, corpus: o.warmUp }] : []),
      // The simulator counts every scan: the measured pass's start after the warm-up's.
      { label, before: async () => { scansBefore = o.sim.scans(); } },
    ],
    workDir: dir,
    scanner: { host: '127.0.0.1', port: o.sim.port },
    redis: o.redis,
    redisUrl: o.redisUrl,
    redisPid: o.redisPid,
    queuePrefix: prefix,
    cachePrefix: `${prefix}-cache_`,
    store: { kind: 'folder', dir: join(dir, 'store') },
    storeDiskDir: join(dir, 'store'),
    workers: o.workers,
    workerConcurrency: o.perWorker,
    clientConcurrency: Math.max(8, o.workers * o.perWorker * 2),
    extraGroups: [{ name: 'client', pids: () => [process.pid] }],
    checkVerdicts: false,
  });
  const result = results[results.length - 1]!;
  const scans = o.sim.scans() - scansBefore;
  const scansPerSec = scans / result.seconds;
  const idealScansPerSec = (o.workers * o.perWorker * 1000) / o.simLatencyMs;
  const totalCpu = Object.values(result.cpuSec).reduce((s, v) => s + v, 0);
  // Machine-wide: other processes on the machine count, since they take the same cores.
  const cpuBusy = result.machineBusyShare;
  const fleetShare = totalCpu / Math.max(0.01, result.seconds * o.cores * cpuBusy);
  const producerCores = (result.cpuSec.producer ?? 0) / result.seconds;
  const workerCoresEach = (result.cpuSec.worker ?? 0) / result.seconds / o.workers;
  // Slot use from the scan time the workers measured (50 ms plus transfer and connect), else the nominal one.
  const meanScanMs = (result.extra?.workerMetrics as { meanScanMs: number | null } | null | undefined)?.meanScanMs ?? o.simLatencyMs;
  const slotUse = (scansPerSec * meanScanMs) / (o.workers * o.perWorker * 1000);
  result.extra = {
    ...result.extra,
    workers: o.workers,
    scans,
    scansPerSec: round(scansPerSec, 1),
    idealScansPerSec,
    slotUse: round(slotUse, 2),
    cpuBusy: round(cpuBusy, 2),
    fleetShareOfBusy: round(fleetShare, 2),
    producerCores: round(producerCores, 2),
    producerCpuMsPerMessage: round(((result.cpuSec.producer ?? 0) * 1000) / Math.max(1, result.messages), 1),
    workerCoresEach: round(workerCoresEach, 2),
    bottleneck: classifyBottleneck({ slotUse, cpuBusy, fleetShare, producerCores, workerCoresEach }),
  };
  return result;
}
