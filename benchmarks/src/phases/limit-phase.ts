import type { Corpus } from '../corpus/generate-corpus';
import { ProcessMeter } from '../measure/proc-stats';
import { summarizeLatency, type LatencySummary } from '../measure/latency-stats';
import { rawInstream, runPool } from './raw-instream';

export interface LimitResult {
  connections: number;
  seconds: number;
  scans: number;
  bytes: number;
  /** Corpus messages per second: all of the corpus's attachment bytes scanned in `seconds`. */
  messagesPerSec: number;
  mbPerSec: number;
  scanLatencyMs: LatencySummary;
  detections: number;
  errors: number;
  clamdCpuSec: number;
  clamdPeakRssBytes: number;
}

/**
 * The ceiling: every attachment occurrence of the corpus, in corpus order, sent to clamd
 * with raw INSTREAM over `connections` parallel connections (no MIME, no queue, no store).
 * The caller drops clamd's cache (RELOAD) before each call.
 */
export async function runLimitPhase(corpus: Corpus, clamd: { host: string; port: number; pid: number }, connections: number): Promise<LimitResult> {
  const bodies = corpus.messages.flatMap((m) => m.attachments.map((a) => a.data));
  const latencies: number[] = [];
  let detections = 0;
  let errors = 0;
  const meter = new ProcessMeter([{ name: 'clamd', pids: () => [clamd.pid], resetPeak: true }]);
  meter.start();
  const t0 = process.hrtime.bigint();
  await runPool(bodies.length, connections, async (i) => {
    const s = process.hrtime.bigint();
    try {
      const reply = await rawInstream(clamd.host, clamd.port, bodies[i]!);
      if (reply.endsWith('FOUND')) detections++;
      else if (!reply.endsWith('OK')) errors++;
    } catch {
      errors++;
    }
    latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const usage = meter.stop();
  const bytes = bodies.reduce((s, b) => s + b.length, 0);
  return {
    connections,
    seconds: round(seconds, 3),
    scans: bodies.length,
    bytes,
    messagesPerSec: round(corpus.messages.length / seconds, 2),
    mbPerSec: round(bytes / 1e6 / seconds, 2),
    scanLatencyMs: summarizeLatency(latencies),
    detections,
    errors,
    clamdCpuSec: usage.clamd?.cpuSec ?? 0,
    clamdPeakRssBytes: usage.clamd?.peakRssBytes ?? 0,
  };
}

function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}
