import { join } from 'node:path';
import type { Corpus } from '../corpus/generate-corpus';
import { folderBytes } from '../measure/folder-bytes';
import { statusBytes } from '../measure/proc-stats';
import type { RedisMeter } from '../measure/redis-meter';
import { scrapeNodeMemory } from '../measure/worker-metrics';
import { startFleet } from './fleet-processes';
import { driveFleet } from './http-driver';
import { round } from './measure-pass';

export interface SoakOptions {
  corpus: Corpus;
  workDir: string;
  scanner: { host: string; port: number };
  redis: RedisMeter;
  redisUrl: string;
  /** Queue prefix (starts with `avfb`); the verdict cache lives under `<prefix>-cache_`. */
  prefix: string;
  /** Rounds over the corpus; null: one hour of traffic at the rate of the first round. */
  rounds: number | null;
  workerConcurrency: number;
  clientConcurrency: number;
  /** AVFLEET_RESULT_TTL of the soak's fleet: short, so Redis reaches its steady state early. */
  resultTtlSec: number;
  log: (line: string) => void;
}

/** What was measured after one round. */
export interface SoakSample {
  round: number;
  /** Seconds since the first round started, at the end of this one. */
  elapsedSec: number;
  messages: number;
  seconds: number;
  messagesPerSec: number;
  errors: number;
  wrongVerdicts: number;
  producerRssBytes: number;
  workerRssBytes: number;
  producerHeapBytes: number | null;
  workerHeapBytes: number | null;
  producerExternalBytes: number | null;
  workerExternalBytes: number | null;
  /** The whole server's used_memory (other clients of a shared Redis count too). */
  redisUsedBytes: number;
  /** Keys under the soak's prefix, after the round and before the verdict cache is emptied. */
  redisKeys: number;
  storeBytes: number;
}

/** One series' first-to-last trend. */
export interface SoakTrend {
  first: number;
  last: number;
  min: number;
  max: number;
  /** Median of the last third of the rounds after the warm-up minus the median of their first third. */
  growth: number;
  /** growth / first-third median. */
  growthShare: number;
  /** Growth within noise: at most max(5 %, `floor`) over the run. */
  flat: boolean;
}

export interface SoakResult {
  rounds: number;
  messages: number;
  seconds: number;
  resultTtlSec: number;
  errors: number;
  wrongVerdicts: number;
  samples: SoakSample[];
  /** Rounds left out of the trends: those that ended within the first result TTL (Redis still filling up), at least round 1. */
  warmupRounds: number;
  trends: Record<'producerRss' | 'workerRss' | 'redisUsed' | 'redisKeys', SoakTrend>;
  /** Every trend flat. */
  pass: boolean;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? 0 : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * First-third vs last-third medians of `values` after the first `warmup` rounds (fewer
 * when that would leave under 3). `first`, `last`, `min` and `max` cover every round.
 */
export function soakTrend(values: readonly number[], floor: number, warmup: number): SoakTrend {
  const v = values.slice(Math.max(0, Math.min(warmup, values.length - 3)));
  const third = Math.max(1, Math.floor(v.length / 3));
  const head = median(v.slice(0, third));
  const tail = median(v.slice(-third));
  const growth = tail - head;
  return {
    first: values[0] ?? 0,
    last: values[values.length - 1] ?? 0,
    min: Math.min(...values),
    max: Math.max(...values),
    growth,
    growthShare: head > 0 ? round(growth / head, 3) : 0,
    flat: growth <= Math.max(0.05 * head, floor),
  };
}

const MB = 1e6;

/**
 * The corpus posted again and again through one producer and one worker (folder store).
 * After every round: producer and worker VmRSS (and heap/Buffer memory from /metrics),
 * Redis used_memory and the keys under the prefix, then the verdict cache is emptied so
 * that every round makes the worker scan every part again (clamd's own cache stays warm).
 */
export async function runSoakPhase(o: SoakOptions): Promise<SoakResult> {
  const cachePrefix = `${o.prefix}-cache_`;
  const storeDir = join(o.workDir, 'store');
  const fleet = await startFleet({
    workDir: o.workDir,
    scanner: o.scanner,
    redisUrl: o.redisUrl,
    queuePrefix: o.prefix,
    cachePrefix,
    store: { kind: 'folder', dir: storeDir },
    workers: 1,
    workerConcurrency: o.workerConcurrency,
    env: { AVFLEET_RESULT_TTL: String(o.resultTtlSec) },
  });
  const samples: SoakSample[] = [];
  const t0 = Date.now();
  try {
    const workerPid = fleet.workerPids[0] ?? -1;
    let rounds = o.rounds ?? Number.POSITIVE_INFINITY;
    for (let round1 = 1; round1 <= rounds; round1++) {
      const s0 = process.hrtime.bigint();
      const out = await driveFleet(fleet.producerUrl, o.corpus.messages, o.clientConcurrency);
      const seconds = Number(process.hrtime.bigint() - s0) / 1e9;
      const [pm, wm] = await Promise.all([scrapeNodeMemory(`${fleet.producerUrl}/metrics`), scrapeNodeMemory(fleet.workerMetricsUrls[0] ?? '')]);
      const sample: SoakSample = {
        round: round1,
        elapsedSec: round((Date.now() - t0) / 1000, 1),
        messages: out.length,
        seconds: round(seconds, 2),
        messagesPerSec: round(out.length / seconds, 1),
        errors: out.filter((r) => r.status !== 200 || r.action === null).length,
        wrongVerdicts: out.filter((r) => r.status === 200 && r.action !== null && !r.correct).length,
        producerRssBytes: statusBytes(fleet.producerPid, 'VmRSS') ?? 0,
        workerRssBytes: statusBytes(workerPid, 'VmRSS') ?? 0,
        producerHeapBytes: pm?.heapUsedBytes ?? null,
        workerHeapBytes: wm?.heapUsedBytes ?? null,
        producerExternalBytes: pm?.externalBytes ?? null,
        workerExternalBytes: wm?.externalBytes ?? null,
        redisUsedBytes: await o.redis.usedMemory(),
        redisKeys: await o.redis.countKeys(o.prefix),
        storeBytes: folderBytes(storeDir),
      };
      samples.push(sample);
      await o.redis.cleanup(cachePrefix);
      if (o.rounds === null && round1 === 1) {
        rounds = Math.max(2, Math.ceil((3600 * sample.messagesPerSec) / Math.max(1, o.corpus.messages.length)));
        o.log(`soak: ${rounds} rounds = one hour at ${sample.messagesPerSec} msg/s`);
      }
      o.log(
        `soak round ${round1}/${rounds}: ${sample.messagesPerSec} msg/s, RSS producer ${(sample.producerRssBytes / MB).toFixed(0)} MB, ` +
          `worker ${(sample.workerRssBytes / MB).toFixed(0)} MB, Redis ${(sample.redisUsedBytes / MB).toFixed(1)} MB / ${sample.redisKeys} keys, ` +
          `${sample.errors} errors, ${sample.wrongVerdicts} wrong`,
      );
    }
  } finally {
    await fleet.stop();
  }
  const series = (f: (s: SoakSample) => number): number[] => samples.map(f);
  const warmupRounds = Math.max(1, samples.filter((s) => s.elapsedSec < o.resultTtlSec).length);
  const trends = {
    producerRss: soakTrend(series((s) => s.producerRssBytes), 8 * MB, warmupRounds),
    workerRss: soakTrend(series((s) => s.workerRssBytes), 8 * MB, warmupRounds),
    redisUsed: soakTrend(series((s) => s.redisUsedBytes), 2 * MB, warmupRounds),
    redisKeys: soakTrend(series((s) => s.redisKeys), 50, warmupRounds),
  };
  return {
    rounds: samples.length,
    messages: samples.reduce((s, x) => s + x.messages, 0),
    seconds: round((Date.now() - t0) / 1000, 1),
    resultTtlSec: o.resultTtlSec,
    warmupRounds,
    errors: samples.reduce((s, x) => s + x.errors, 0),
    wrongVerdicts: samples.reduce((s, x) => s + x.wrongVerdicts, 0),
    samples,
    trends,
    pass: Object.values(trends).every((t) => t.flat),
  };
}

/** The soak as a few printed lines. */
export function formatSoak(s: SoakResult): string {
  const line = (name: string, t: SoakTrend, unit: 'MB' | 'keys'): string => {
    const v = (x: number): string => (unit === 'MB' ? `${(x / MB).toFixed(1)} MB` : `${x} keys`);
    const g = unit === 'MB' ? `${(t.growth / MB).toFixed(1)} MB` : `${t.growth} keys`;
    return `  ${name.padEnd(13)} first ${v(t.first)}, last ${v(t.last)}, min ${v(t.min)}, max ${v(t.max)}; trend ${g} (${(t.growthShare * 100).toFixed(1)} %): ${t.flat ? 'flat' : 'GROWS'}`;
  };
  return [
    `soak: ${s.rounds} rounds, ${s.messages} messages in ${s.seconds} s, result TTL ${s.resultTtlSec} s (trend after ${s.warmupRounds} warm-up rounds), ${s.errors} errors, ${s.wrongVerdicts} wrong: ${s.pass ? 'no growth' : 'GROWTH'}`,
    line('producer RSS', s.trends.producerRss, 'MB'),
    line('worker RSS', s.trends.workerRss, 'MB'),
    line('Redis used', s.trends.redisUsed, 'MB'),
    line('Redis keys', s.trends.redisKeys, 'keys'),
  ].join('\n');
}
