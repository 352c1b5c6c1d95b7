import type { LimitResult } from './phases/limit-phase';
import type { PassResult } from './phases/measure-pass';
import type { TableRow } from './report/format-table';

const MB = 1e6;

function mb(v: number | undefined): number | null {
  return v === undefined ? null : v / MB;
}

/** The best limit (messages/s) of the run: the ceiling every ratio is taken against. */
export function bestLimit(limits: readonly LimitResult[]): LimitResult | null {
  return limits.reduce<LimitResult | null>((best, l) => (best === null || l.messagesPerSec > best.messagesPerSec ? l : best), null);
}

/** Milliseconds to scan one average message's attachments on one connection (limit x1). */
export function limitMessageMs(limits: readonly LimitResult[]): number | null {
  const one = limits.find((l) => l.connections === 1) ?? limits[0];
  return one ? 1000 / one.messagesPerSec : null;
}

/** Fills in every pass's ratios to the limit of the same run. */
export function addRatios(passes: PassResult[], limits: readonly LimitResult[], corpusMessages: number): void {
  const best = bestLimit(limits);
  const msgMs = limitMessageMs(limits);
  // clamd CPU per corpus message at the ceiling: what scanning alone costs.
  const limitCpuPerMsg = best && best.clamdCpuSec > 0 ? best.clamdCpuSec / Math.max(1, corpusMessages) : null;
  for (const p of passes) {
    if (!best) continue;
    p.ratioToLimit = Math.round((p.messagesPerSec / best.messagesPerSec) * 100) / 100;
    const cpuPerMsg = Object.entries(p.cpuSec).filter(([k]) => k !== 'client').reduce((s, [, v]) => s + v, 0) / Math.max(1, p.messages);
    p.extra = {
      ...p.extra,
      ratios: {
        throughput: p.ratioToLimit,
        mbPerSec: Math.round((p.mbPerSec / best.mbPerSec) * 100) / 100,
        latencyP50: msgMs ? Math.round((p.latencyMs.p50 / msgMs) * 10) / 10 : null,
        latencyP95: msgMs ? Math.round((p.latencyMs.p95 / msgMs) * 10) / 10 : null,
        latencyP99: msgMs ? Math.round((p.latencyMs.p99 / msgMs) * 10) / 10 : null,
        cpuPerMessage: limitCpuPerMsg ? Math.round((cpuPerMsg / limitCpuPerMsg) * 10) / 10 : null,
      },
    };
  }
}

export function limitRow(l: LimitResult, limits: readonly LimitResult[]): TableRow {
  const best = bestLimit(limits);
  const msgMs = limitMessageMs(limits);
  return {
    label: `limit: raw INSTREAM x${l.connections}`,
    msgsPerSec: l.messagesPerSec,
    ratio: best ? l.messagesPerSec / best.messagesPerSec : null,
    mbPerSec: l.mbPerSec,
    p50: l.scanLatencyMs.p50,
    p95: l.scanLatencyMs.p95,
    p99: l.scanLatencyMs.p99,
    p50Ratio: msgMs ? l.scanLatencyMs.p50 / msgMs : null,
    cpu: { front: null, worker: null, clamd: l.clamdCpuSec, redis: null },
    rssMb: { front: null, worker: null, clamd: mb(l.clamdPeakRssBytes), redis: null },
    cmdsPerMsg: null,
    storeKbPerMsg: null,
    errors: `${l.errors}/-`,
    note: `per-scan latency; ${l.scans} scans, ${l.detections} detections`,
  };
}

export function passRow(p: PassResult, limits: readonly LimitResult[]): TableRow {
  const msgMs = limitMessageMs(limits);
  // The front: avfleet's producer, Rspamd's process group, or clamav-milter (mail path).
  const front = ['producer', 'rspamd', 'clamav-milter'].find((k) => p.cpuSec[k] !== undefined) ?? 'producer';
  const extra = p.extra ?? {};
  const wm = extra.workerMetrics as { meanScanMs: number | null } | null | undefined;
  const producerMs = p.cpuSec.producer !== undefined ? `producer ${((p.cpuSec.producer * 1000) / Math.max(1, p.messages)).toFixed(0)} ms CPU/msg` : '';
  const scanMs = wm && wm.meanScanMs !== null ? `, mean scan ${wm.meanScanMs} ms` : '';
  const note =
    typeof extra.bottleneck === 'string'
      ? `${extra.bottleneck}; ${extra.scansPerSec} scans/s of ${extra.idealScansPerSec}; ${producerMs}`
      : typeof extra.note === 'string'
        ? extra.note
        : `${producerMs}${scanMs}`;
  return {
    label: p.label,
    msgsPerSec: p.messagesPerSec,
    ratio: p.ratioToLimit ?? null,
    mbPerSec: p.mbPerSec,
    p50: p.latencyMs.p50,
    p95: p.latencyMs.p95,
    p99: p.latencyMs.p99,
    p50Ratio: msgMs ? p.latencyMs.p50 / msgMs : null,
    cpu: { front: p.cpuSec[front] ?? null, worker: p.cpuSec.worker ?? null, clamd: p.cpuSec.clamd ?? null, redis: p.cpuSec.redis ?? null },
    rssMb: { front: mb(p.peakRssBytes[front]), worker: mb(p.peakRssBytes.worker), clamd: mb(p.peakRssBytes.clamd), redis: mb(p.peakRssBytes.redis) },
    cmdsPerMsg: p.redisCommandsPerMessage,
    storeKbPerMsg: p.storeBytesPerMessage === null ? null : p.storeBytesPerMessage / 1024,
    errors: `${p.errors}/${p.wrongVerdicts}`,
    note,
  };
}
