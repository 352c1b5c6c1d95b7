import type { Corpus } from '../corpus/generate-corpus';
import type { ProcessGroup } from '../measure/proc-stats';
import type { RedisMeter } from '../measure/redis-meter';
import { startFleet } from './fleet-processes';
import { driveFleet } from './http-driver';
import { measurePass, round, type PassResult } from './measure-pass';

/** The admin token of the phase's producer (POST /retroscan). */
const ADMIN_TOKEN = 'bench-retroscan-admin';

export interface RetroscanPhaseOptions {
  /** The mail the window remembers: the bench corpus, sent once before the measured passes. */
  window: Corpus;
  /** The live traffic measured before and during the retro-scan (other attachments, so every pass is scanned). */
  live: Corpus;
  workDir: string;
  scanner: { host: string; port: number };
  redis: RedisMeter;
  redisUrl: string;
  redisPid: number | null;
  queuePrefix: string;
  cachePrefix: string;
  storeDir: string;
  workerConcurrency: number;
  clientConcurrency: number;
  /** Empties clamd's own cache of clean files (RELOAD), so both live passes scan as cold. */
  reloadScanner: () => Promise<void>;
  extraGroups: ProcessGroup[];
  log: (line: string) => void;
}

/**
 * Live traffic with and without a retro-scan of the whole window (issue 19: the live p95 must stay
 * within 1.5 × of without). One fleet with AVFLEET_RETROSCAN=on: the window corpus is sent to fill
 * the memory; then the live corpus is measured cold (verdict cache emptied, clamd RELOADed); then,
 * cold again, measured while `POST /retroscan` scans every remembered part on `retro-clamav`
 * (AVFLEET_RETROSCAN_CONCURRENCY and _RATE at their defaults). The second row's extra says how far
 * the retro-scan had come when the live pass ended, and how long it took in all.
 */
export async function runRetroscanPhase(o: RetroscanPhaseOptions): Promise<PassResult[]> {
  const fleet = await startFleet({
    workDir: o.workDir, scanner: o.scanner, redisUrl: o.redisUrl, queuePrefix: o.queuePrefix, cachePrefix: o.cachePrefix,
    store: { kind: 'folder', dir: o.storeDir }, workers: 1, workerConcurrency: o.workerConcurrency,
    env: { AVFLEET_RETROSCAN: 'on', AVFLEET_ADMIN_TOKEN: ADMIN_TOKEN },
  });
  const groups: ProcessGroup[] = [
    { name: 'producer', pids: () => [fleet.producerPid], resetPeak: true },
    { name: 'worker', pids: () => fleet.workerPids, resetPeak: true },
    ...o.extraGroups,
    ...(o.redisPid !== null ? [{ name: 'redis', pids: () => [o.redisPid as number] }] : []),
  ];
  const live = (label: string): Promise<PassResult> => measurePass({
    label, corpus: o.live, groups, redis: o.redis, storeDir: o.storeDir,
    drive: async () => (await driveFleet(fleet.producerUrl, o.live.messages, o.clientConcurrency)).map((r) => ({ latencyMs: r.latencyMs, ok: r.status === 200 && r.action !== null, correct: r.correct })),
  });
  const emptyCache = async (): Promise<void> => {
    let cursor = '0';
    do {
      const [next, keys] = await o.redis.redis.scan(cursor, 'MATCH', `${o.cachePrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await o.redis.redis.unlink(...keys);
    } while (cursor !== '0');
    await o.reloadScanner();
  };
  const retroQueued = async (): Promise<number> => {
    const base = `${o.queuePrefix}:retro-clamav`;
    const [waiting, active] = await Promise.all([o.redis.redis.llen(`${base}:wait`), o.redis.redis.llen(`${base}:active`)]);
    return waiting + active;
  };
  try {
    const filled = await driveFleet(fleet.producerUrl, o.window.messages, o.clientConcurrency);
    o.log(`retroscan: window filled with ${filled.length} messages (${filled.filter((r) => r.status !== 200).length} errors)`);
    await emptyCache();
    const before = await live('live, no retro-scan (folder store)');
    await emptyCache();
    const res = await fetch(`${fleet.producerUrl}/retroscan`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ rule: 'clamav' }),
    });
    if (res.status !== 202) throw new Error(`AVF_ERR_BENCH_RETROSCAN: POST /retroscan answered ${res.status}: ${await res.text()}`);
    const run = (await res.json()) as { parts: number };
    const startedAt = Date.now();
    const during = await live('live during a retro-scan of the window (folder store)');
    const leftAtEnd = await retroQueued();
    while ((await retroQueued()) > 0 && Date.now() - startedAt < 600_000) await new Promise((r) => setTimeout(r, 200));
    const retroSeconds = round((Date.now() - startedAt) / 1000, 1);
    const p95Ratio = round(during.latencyMs.p95 / before.latencyMs.p95, 2);
    during.extra = { ...during.extra, retroParts: run.parts, retroPartsLeftAtPassEnd: leftAtEnd, retroSeconds, p95Ratio, note: `retro-scan of ${run.parts} parts, ${leftAtEnd} left when the pass ended, done in ${retroSeconds} s; p95 ${p95Ratio} x` };
    o.log(`retroscan: p95 ${before.latencyMs.p95} ms without, ${during.latencyMs.p95} ms during (${p95Ratio} x); ${run.parts} parts, ${leftAtEnd} left at the pass's end, all done in ${retroSeconds} s`);
    return [before, during];
  } finally {
    await fleet.stop();
  }
}
