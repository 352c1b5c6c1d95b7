import type { Corpus } from '../corpus/generate-corpus';
import { folderBytes } from '../measure/folder-bytes';
import { loadAverage1m, machineBusy, machineCpuTimes } from '../measure/machine-cpu';
import { summarizeLatency, type LatencySummary } from '../measure/latency-stats';
import { ProcessMeter, type ProcessGroup } from '../measure/proc-stats';
import type { RedisMeter } from '../measure/redis-meter';

/** What one system did with the corpus once (one row of the table). */
export interface PassResult {
  label: string;
  messages: number;
  seconds: number;
  messagesPerSec: number;
  /** Attachment MB (10^6 bytes) per second: the same basis as the limit. */
  mbPerSec: number;
  latencyMs: LatencySummary;
  cpuSec: Record<string, number>;
  peakRssBytes: Record<string, number>;
  redisCommandsPerMessage: number | null;
  /** Per Redis server (each master of a cluster with --redis-cluster): commands per message. */
  redisCommandsPerMessageByServer?: Record<string, number>;
  /** Per Redis server: its CPU (INFO cpu) per message, ms. */
  redisCpuMsPerMessageByServer?: Record<string, number>;
  redisCommands: Record<string, number>;
  storeBytesPerMessage: number | null;
  /** Whole machine: share of all cores busy during the pass, and CPU seconds used by processes the bench did not measure. */
  machineBusyShare: number;
  otherCpuSec: number;
  loadAverage1m: number;
  errors: number;
  wrongVerdicts: number;
  /**
   * The pass's first request and last answer on the machine's monotonic clock, in µs: the clock of
   * V8's CPU profiles (`--cpu-prof`), so a profile's samples can be cut by pass (summarize-cpu-profile).
   */
  monotonicUs: [number, number];
  /** messagesPerSec / the best limit of the same run (filled in by the report). */
  ratioToLimit?: number;
  extra?: Record<string, unknown>;
}

/** The per-message view a driver gives back. */
export interface DrivenMessage {
  latencyMs: number;
  ok: boolean;
  correct: boolean;
}

export interface MeasureSpec {
  label: string;
  corpus: Corpus;
  groups: ProcessGroup[];
  redis: RedisMeter | null;
  /** Folder whose growth is "bytes written to the store" (null: not measured). */
  storeDir: string | null;
  drive: () => Promise<DrivenMessage[]>;
}

/** Runs `drive` once and measures throughput, latency, CPU, RSS, Redis commands and store growth. */
export async function measurePass(s: MeasureSpec): Promise<PassResult> {
  const storeBefore = s.storeDir ? folderBytes(s.storeDir) : 0;
  const meter = new ProcessMeter(s.groups);
  await s.redis?.startCounting();
  meter.start();
  const cpu0 = machineCpuTimes();
  const t0 = process.hrtime.bigint();
  const outcomes = await s.drive();
  const t1 = process.hrtime.bigint();
  const seconds = Number(t1 - t0) / 1e9;
  const busy = machineBusy(cpu0, machineCpuTimes());
  const usage = meter.stop();
  const redis = s.redis ? await s.redis.stopCounting() : null;
  const n = outcomes.length;
  const attBytes = s.corpus.messages.reduce((sum, m) => sum + m.attachments.reduce((a, b) => a + b.size, 0), 0);
  const cpuSec: Record<string, number> = {};
  const peakRssBytes: Record<string, number> = {};
  for (const [name, u] of Object.entries(usage)) {
    cpuSec[name] = u.cpuSec;
    peakRssBytes[name] = u.peakRssBytes;
  }
  return {
    label: s.label,
    messages: n,
    seconds: round(seconds, 3),
    monotonicUs: [Number(t0 / 1000n), Number(t1 / 1000n)],
    messagesPerSec: round(n / seconds, 2),
    mbPerSec: round(attBytes / 1e6 / seconds, 2),
    latencyMs: summarizeLatency(outcomes.map((o) => o.latencyMs)),
    cpuSec,
    peakRssBytes,
    redisCommandsPerMessage: redis ? round(redis.total / Math.max(1, n), 1) : null,
    ...(redis ? {
      redisCommandsPerMessageByServer: Object.fromEntries(Object.entries(redis.byServer).map(([k, v]) => [k, round(v / Math.max(1, n), 1)])),
      redisCpuMsPerMessageByServer: Object.fromEntries(Object.entries(redis.cpuSecByServer).map(([k, v]) => [k, round((v * 1000) / Math.max(1, n), 2)])),
    } : {}),
    redisCommands: redis?.byCommand ?? {},
    storeBytesPerMessage: s.storeDir ? Math.round((folderBytes(s.storeDir) - storeBefore) / Math.max(1, n)) : null,
    machineBusyShare: round(busy.share, 2),
    otherCpuSec: round(Math.max(0, busy.cpuSec - Object.values(cpuSec).reduce((a, b) => a + b, 0)), 1),
    loadAverage1m: loadAverage1m(),
    errors: outcomes.filter((o) => !o.ok).length,
    wrongVerdicts: outcomes.filter((o) => o.ok && !o.correct).length,
  };
}

export function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}
