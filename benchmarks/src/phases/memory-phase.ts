import { join } from 'node:path';
import { buildMessage } from '../corpus/build-message';
import type { CorpusMessage } from '../corpus/generate-corpus';
import { EICAR, type AttachmentFile } from '../corpus/make-attachment';
import { SeededRandom } from '../corpus/seeded-random';
import { ProcessMeter, statusBytes } from '../measure/proc-stats';
import { scrapeNodeMemory, type NodeMemory } from '../measure/worker-metrics';
import { startBenchClamd } from '../services/bench-clamd';
import { freePort } from '../../../test/helpers/fleet-processes';
import { startFleet } from './fleet-processes';
import { driveFleet, type MessageOutcome } from './http-driver';
import { round } from './measure-pass';

export interface MemoryPhaseOptions {
  /** Folder for the phase's clamd, fleet config, logs and folder store. */
  workDir: string;
  /** Size of the one attachment (random bytes, EICAR at the very end). */
  attachmentBytes: number;
  seed: string;
  redisUrl: string;
  /** Queue prefix (starts with `avfb`); the verdict cache lives under `<prefix>-cache_`. */
  prefix: string;
  log: (line: string) => void;
}

/** One process's memory around the big message. */
export interface ProcessMemory {
  /** VmRSS after a small warm-up message, right before the big one. */
  baselineBytes: number;
  /** VmHWM over the big message (reset right before it). */
  peakBytes: number;
  growthBytes: number;
  /** growthBytes / attachment size. */
  growthX: number;
  /** VmRSS 3 s after the answer (what the process kept). */
  afterBytes: number;
  /** Heap and Buffer memory from its /metrics after the answer. */
  nodeAfter: NodeMemory | null;
}

export interface MemoryResult {
  attachmentBytes: number;
  messageBytes: number;
  /** clamd.conf directives raised for this phase's own clamd. */
  clamdOverrides: Record<string, string>;
  maxMessageBytes: number;
  seconds: number;
  status: number;
  action: string | null;
  /** The EICAR at the end of the attachment was found: clamd scanned all of it. */
  correct: boolean;
  error?: string;
  producer: ProcessMemory;
  worker: ProcessMemory;
  clamdPeakBytes: number;
}

const MiB = 1024 * 1024;

function bigMessage(n: number, attachment: AttachmentFile): CorpusMessage {
  const bytes = buildMessage(
    { n, from: 'sender@example.org', to: 'user@example.com', subject: `Bench memory ${n}`, date: 'Mon, 01 Jan 2024 12:00:00 +0000' },
    'Please find the archive attached.\n',
    [attachment],
  );
  const eicar = attachment.data.subarray(-EICAR.length).equals(EICAR);
  return { file: `memory-${n}.eml`, index: 0, bytes, eicar, attachments: [] };
}

/** `size` bytes of AES-CTR keystream with EICAR as the last 68 bytes (found only if all of it is scanned). */
function attachmentOf(rng: SeededRandom, size: number, n: number, withEicar: boolean): AttachmentFile {
  const data = withEicar ? Buffer.concat([rng.bytes(Math.max(0, size - EICAR.length)), EICAR]) : rng.bytes(size);
  return { kind: 'archive', filename: `backup-${n}.bin`, contentType: 'application/octet-stream', data };
}

function vmRss(pid: number): number {
  return statusBytes(pid, 'VmRSS') ?? 0;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function firstOutcome(out: MessageOutcome[]): MessageOutcome {
  const o = out[0];
  if (!o) throw new Error('AVF_ERR_BENCH_MEMORY: the driver returned no outcome');
  return o;
}

/**
 * One message with a large attachment through a fresh producer and worker (separate
 * processes, folder store) and a clamd of its own whose size limits admit it. Baseline is
 * each process's VmRSS after a small warm-up message; peak is VmHWM, reset right before
 * the big message is posted.
 */
export async function runMemoryPhase(o: MemoryPhaseOptions): Promise<MemoryResult> {
  const rng = new SeededRandom(`${o.seed}-memory`);
  const warm = bigMessage(1, attachmentOf(rng, 64 * 1024, 1, false));
  const big = bigMessage(2, attachmentOf(rng, o.attachmentBytes, 2, true));
  const limitMb = Math.ceil(big.bytes.length / MiB) + 16;
  const clamdOverrides = { StreamMaxLength: `${limitMb}M`, MaxFileSize: `${limitMb}M`, MaxScanSize: `${2 * limitMb}M` };
  const maxMessageBytes = big.bytes.length + MiB;
  const clamd = await startBenchClamd(join(o.workDir, 'clamd'), await freePort(), clamdOverrides);
  try {
    const fleet = await startFleet({
      workDir: o.workDir,
      scanner: { host: '127.0.0.1', port: clamd.tcpPort as number },
      redisUrl: o.redisUrl,
      queuePrefix: o.prefix,
      cachePrefix: `${o.prefix}-cache_`,
      store: { kind: 'folder', dir: join(o.workDir, 'store') },
      workers: 1,
      workerConcurrency: 1,
      env: { AVFLEET_MAX_MESSAGE_BYTES: String(maxMessageBytes) },
    });
    try {
      const pids = { producer: fleet.producerPid, worker: fleet.workerPids[0] ?? -1 };
      const metricsUrl = { producer: `${fleet.producerUrl}/metrics`, worker: fleet.workerMetricsUrls[0] ?? '' };
      const w = firstOutcome(await driveFleet(fleet.producerUrl, [warm], 1));
      if (w.status !== 200) throw new Error(`AVF_ERR_BENCH_MEMORY: the warm-up message got HTTP ${w.status}: ${w.error ?? ''}`);
      await sleep(2000);
      const baseline = { producer: vmRss(pids.producer), worker: vmRss(pids.worker) };
      o.log(`memory: ${(big.bytes.length / 1e6).toFixed(1)} MB message (${(o.attachmentBytes / 1e6).toFixed(1)} MB attachment); baseline RSS producer ${(baseline.producer / 1e6).toFixed(0)} MB, worker ${(baseline.worker / 1e6).toFixed(0)} MB`);
      const meter = new ProcessMeter([
        { name: 'producer', pids: () => [pids.producer], resetPeak: true },
        { name: 'worker', pids: () => [pids.worker], resetPeak: true },
        { name: 'clamd', pids: () => [clamd.pid], resetPeak: true },
      ]);
      meter.start();
      const t0 = process.hrtime.bigint();
      const r = firstOutcome(await driveFleet(fleet.producerUrl, [big], 1));
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const usage = meter.stop();
      await sleep(3000);
      const proc = async (name: 'producer' | 'worker'): Promise<ProcessMemory> => {
        const peak = usage[name]?.peakRssBytes ?? 0;
        const growth = Math.max(0, peak - baseline[name]);
        return {
          baselineBytes: baseline[name],
          peakBytes: peak,
          growthBytes: growth,
          growthX: round(growth / o.attachmentBytes, 2),
          afterBytes: vmRss(pids[name]),
          nodeAfter: await scrapeNodeMemory(metricsUrl[name]),
        };
      };
      return {
        attachmentBytes: o.attachmentBytes,
        messageBytes: big.bytes.length,
        clamdOverrides,
        maxMessageBytes,
        seconds: round(seconds, 2),
        status: r.status,
        action: r.action,
        correct: r.correct,
        ...(r.error ? { error: r.error } : {}),
        producer: await proc('producer'),
        worker: await proc('worker'),
        clamdPeakBytes: usage.clamd?.peakRssBytes ?? 0,
      };
    } finally {
      await fleet.stop();
    }
  } finally {
    await clamd.stop();
  }
}

/** The memory phase as a few printed lines. */
export function formatMemory(m: MemoryResult): string {
  const mb = (b: number): string => (b / 1e6).toFixed(0);
  const row = (name: string, p: ProcessMemory): string =>
    `  ${name.padEnd(8)} baseline ${mb(p.baselineBytes).padStart(4)} MB  peak ${mb(p.peakBytes).padStart(4)} MB  growth ${mb(p.growthBytes).padStart(4)} MB = ${p.growthX.toFixed(2)} x attachment  after ${mb(p.afterBytes).padStart(4)} MB`;
  return [
    `memory: one ${(m.messageBytes / 1e6).toFixed(1)} MB message (${(m.attachmentBytes / 1e6).toFixed(1)} MB attachment, EICAR at its end): HTTP ${m.status}, ${m.action ?? 'no answer'} (${m.correct ? 'correct' : 'WRONG'}) in ${m.seconds} s`,
    row('producer', m.producer),
    row('worker', m.worker),
    `  clamd    peak ${mb(m.clamdPeakBytes)} MB`,
  ].join('\n');
}
