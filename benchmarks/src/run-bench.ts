import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchArgs } from './bench-args';
import { addRatios, limitRow, passRow } from './build-rows';
import { generateCorpus, writeCorpus, type Corpus, type CorpusSummary } from './corpus/generate-corpus';
import { machineInfo, type MachineInfo } from './machine-info';
import { loadAverage1m } from './measure/machine-cpu';
import type { ProcessGroup } from './measure/proc-stats';
import { RedisMeter } from './measure/redis-meter';
import { runFleetPasses } from './phases/fleet-phase';
import { runLimitPhase, type LimitResult } from './phases/limit-phase';
import { runMailPathPhase } from './phases/mail-path-phase';
import { measurePass, type PassResult } from './phases/measure-pass';
import { runMemoryPhase, type MemoryResult } from './phases/memory-phase';
import { driveRspamc } from './phases/rspamc-driver';
import { startRspamd } from './phases/rspamd-peer';
import { runRetroscanPhase } from './phases/retroscan-phase';
import { runScaleOutPoint } from './phases/scale-out-phase';
import { runSoakPhase, type SoakResult } from './phases/soak-phase';
import { formatTable } from './report/format-table';
import { reloadClamd, startBenchClamd, type StartedClamd } from './services/bench-clamd';
import { startBenchS3rver } from './services/bench-s3rver';
import { startClamdSimulator } from './services/clamd-simulator';
import { freePort } from '../../test/helpers/fleet-processes';

export interface BenchReport {
  startedAt: string;
  durationSec: number;
  /** 1-minute load average when the run started and ended (other work on the machine skews every figure). */
  loadAverage1m: { start: number; end: number };
  machine: MachineInfo;
  settings: Omit<BenchArgs, 'help'>;
  corpus: CorpusSummary & { generateSec: number };
  limit: LimitResult[];
  passes: PassResult[];
  table: string;
  /** The memory phase (only when `--phases` names it). */
  memory?: MemoryResult;
  /** The soak phase (only when `--phases` names it). */
  soak?: SoakResult;
}

/** AVFLEET_RESULT_TTL of the soak's fleet (the default, 3600 s, would make Redis grow for an hour by design). */
const SOAK_RESULT_TTL_SEC = 60;

/** Runs the selected phases once, on this machine, and returns every figure plus the table. */
export async function runBench(args: BenchArgs, log: (line: string) => void): Promise<BenchReport> {
  const started = Date.now();
  const loadStart = loadAverage1m();
  const runId = `avfb-${randomBytes(4).toString('hex')}`;
  const work = mkdtempSync(join(tmpdir(), 'avfleet-bench-'));
  const redis = new RedisMeter(args.redisUrl, args.redisCluster);
  const cleanups: Array<() => Promise<void>> = [];
  const limit: LimitResult[] = [];
  const passes: PassResult[] = [];
  let memory: MemoryResult | undefined;
  let soak: SoakResult | undefined;
  try {
    await redis.open();
    const redisPid = await redis.serverPid();
    const redisVersion = /^redis_version:(\S+)/m.exec(await redis.redis.info('server'))?.[1] ?? null;
    const t0 = Date.now();
    const corpus: Corpus = generateCorpus({ messages: args.messages, seed: args.seed });
    const files = writeCorpus(corpus, join(work, 'corpus'));
    const generateSec = (Date.now() - t0) / 1000;
    const s = corpus.summary;
    log(`corpus: ${s.messages} messages (${s.textOnly} text-only, ${s.withEicar} EICAR, ${s.withReuse} re-using), ${s.attachments} attachments ` +
      `(${s.uniqueAttachments} distinct), ${(s.attachmentBytes / 1e6).toFixed(1)} MB attachments, ${(s.messageBytes / 1e6).toFixed(1)} MB messages, in ${generateSec.toFixed(1)} s (${work})`);

    // scale-out uses the simulator, memory a clamd of its own with larger size limits.
    const needClamd = args.phases.some((p) => p !== 'scale-out' && p !== 'memory');
    let clamd: StartedClamd | null = null;
    if (needClamd) {
      clamd = await startBenchClamd(join(work, 'clamd'), await freePort());
      const c = clamd;
      cleanups.push(() => c.stop());
      log(`clamd: pid ${c.pid} on 127.0.0.1:${c.tcpPort}`);
    }
    const clamdTarget = clamd ? { host: '127.0.0.1', port: clamd.tcpPort as number } : null;
    const clamdGroup: ProcessGroup[] = clamd ? [{ name: 'clamd', pids: () => [(clamd as StartedClamd).pid], resetPeak: true }] : [];
    const client: ProcessGroup = { name: 'client', pids: () => [process.pid] };
    const reload = async (): Promise<void> => {
      if (clamd) await reloadClamd(clamd);
    };

    if (args.phases.includes('limit') && clamd && clamdTarget) {
      for (const k of args.limitConnections) {
        await reload();
        const r = await runLimitPhase(corpus, { ...clamdTarget, pid: clamd.pid }, k);
        limit.push(r);
        log(`limit x${k}: ${r.messagesPerSec} msg/s, ${r.mbPerSec} MB/s (${r.seconds} s)`);
      }
    }

    const fleetPasses = async (kind: 'folder' | 's3'): Promise<void> => {
      if (!clamdTarget) return;
      const dir = join(work, `fleet-${kind}`);
      const prefix = `${runId}-${kind === 'folder' ? 'ff' : 'fs'}`;
      let store;
      let storeDiskDir: string;
      const extra: ProcessGroup[] = [...clamdGroup, client];
      if (kind === 'folder') {
        store = { kind: 'folder' as const, dir: join(dir, 'store') };
        storeDiskDir = store.dir;
      } else {
        const s3 = await startBenchS3rver(join(dir, 's3rver'), await freePort());
        cleanups.push(() => s3.stop());
        store = { kind: 's3' as const, endpoint: s3.endpoint, bucket: prefix };
        storeDiskDir = s3.storeDir;
        extra.push({ name: 's3rver', pids: () => [s3.pid], resetPeak: true });
      }
      const what = `${kind === 'folder' ? 'folder' : 'S3'} store${args.producerProcesses > 1 ? `, ${args.producerProcesses} producers` : ''}`;
      const fleetOptions = {
        corpus, scanner: clamdTarget, redis, redisUrl: args.redisUrl, redisPid, queuePrefix: prefix, cachePrefix: `${prefix}-cache_`, store, storeDiskDir,
        workers: 1, workerConcurrency: args.workerConcurrency, producerProcesses: args.producerProcesses, clientConcurrency: args.concurrency, extraGroups: extra,
      };
      // Cold, then warm through the same running processes (as Rspamd's passes); then warm again through
      // fresh processes: every verdict in Redis, nothing in the producer's memory (decoded-facts memo).
      const results = [
        ...(await runFleetPasses({ ...fleetOptions, workDir: join(dir, 'run'), passes: [{ label: `fleet cold (${what})`, before: reload }, { label: `fleet warm (${what})` }] })),
        ...(await runFleetPasses({ ...fleetOptions, workDir: join(dir, 'restarted'), passes: [{ label: `fleet warm, new processes (${what})` }] })),
      ];
      for (const r of results) {
        passes.push(r);
        log(`${r.label}: ${r.messagesPerSec} msg/s, p50 ${r.latencyMs.p50} ms, ${r.errors} errors, ${r.wrongVerdicts} wrong (${r.seconds} s)`);
      }
    };
    if (args.phases.includes('fleet-folder')) await fleetPasses('folder');
    if (args.phases.includes('fleet-s3')) await fleetPasses('s3');

    if (args.phases.includes('rspamd') && clamdTarget) {
      const url = new URL(args.redisUrl);
      const rspamd = await startRspamd({
        dir: join(work, 'rspamd'), port: await freePort(), clamd: clamdTarget, redisHostPort: `${url.hostname}:${url.port || 6379}`,
        cachePrefix: `${runId}-rs_`, workers: 2,
      });
      cleanups.push(() => rspamd.stop());
      for (const temp of ['cold', 'warm'] as const) {
        if (temp === 'cold') await reload();
        const r = await measurePass({
          label: `rspamd ${temp} (rspamc -n ${args.concurrency})`, corpus,
          groups: [{ name: 'rspamd', pids: () => rspamd.pids(), resetPeak: true }, ...clamdGroup, ...(redisPid !== null ? [{ name: 'redis', pids: () => [redisPid] }] : [])],
          redis, storeDir: null, drive: () => driveRspamc(rspamd.hostPort, files, corpus.messages, args.concurrency),
        });
        r.extra = { note: 'latency: rspamc scan_time' };
        passes.push(r);
        log(`${r.label}: ${r.messagesPerSec} msg/s, p50 ${r.latencyMs.p50} ms, ${r.errors} errors, ${r.wrongVerdicts} wrong (${r.seconds} s)`);
      }
    }

    if (args.phases.includes('mail-path') && clamdTarget) {
      const mailCorpus: Corpus = args.mailMessages < corpus.messages.length ? { ...corpus, messages: corpus.messages.slice(0, args.mailMessages) } : corpus;
      const results = await runMailPathPhase({
        corpus: mailCorpus, workDir: join(work, 'mail-path'), scanner: clamdTarget, redis, redisUrl: args.redisUrl, redisPid, prefix: `${runId}-mp`,
        workerConcurrency: args.workerConcurrency, smtpConcurrency: args.concurrency, reloadScanner: reload, extraGroups: [...clamdGroup, client], log,
      });
      for (const r of results) {
        passes.push(r);
        log(`${r.label}: ${r.messagesPerSec} msg/s, p50 ${r.latencyMs.p50} ms, ${String(r.extra?.note)}, ${r.errors} errors, ${r.wrongVerdicts} wrong (${r.seconds} s)`);
      }
    }

    if (args.phases.includes('retroscan') && clamdTarget) {
      // Live traffic of its own (another seed, half the corpus), so both measured passes are scanned, not cached.
      const live = generateCorpus({ messages: Math.max(1, Math.floor(args.messages / 2)), seed: `${args.seed}-live` });
      const dir = join(work, 'retroscan');
      const results = await runRetroscanPhase({
        window: corpus, live, workDir: join(dir, 'run'), scanner: clamdTarget, redis, redisUrl: args.redisUrl, redisPid, queuePrefix: `${runId}-rs`,
        cachePrefix: `${runId}-rs-cache_`, storeDir: join(dir, 'store'), workerConcurrency: args.workerConcurrency, clientConcurrency: args.concurrency,
        reloadScanner: reload, extraGroups: [...clamdGroup, client], log,
      });
      for (const r of results) {
        passes.push(r);
        log(`${r.label}: ${r.messagesPerSec} msg/s, p50 ${r.latencyMs.p50} ms, p95 ${r.latencyMs.p95} ms, ${r.errors} errors, ${r.wrongVerdicts} wrong (${r.seconds} s)`);
      }
    }

    if (args.phases.includes('scale-out')) {
      const sim = await startClamdSimulator(args.simLatencyMs);
      cleanups.push(() => sim.close());
      const scaleCorpus: Corpus = args.scaleMessages && args.scaleMessages < corpus.messages.length ? { ...corpus, messages: corpus.messages.slice(0, args.scaleMessages) } : corpus;
      const warmUpAll = args.scaleWarmUp > 0 ? generateCorpus({ messages: args.scaleWarmUp * Math.max(...args.scaleWorkers) * 2, seed: `${args.seed}-warm-up` }) : null;
      for (const w of args.scaleWorkers) {
        // Per point: scaleWarmUp messages per worker process, none with EICAR (the simulator's verdicts are cached).
        const warmUp: Corpus | null = warmUpAll ? { ...warmUpAll, messages: warmUpAll.messages.filter((m) => !m.eicar).slice(0, args.scaleWarmUp * w) } : null;
        const r = await runScaleOutPoint({
          corpus: scaleCorpus, warmUp, workDir: join(work, 'scale-out'), sim, simLatencyMs: args.simLatencyMs, redis, redisUrl: args.redisUrl, redisPid,
          prefixFor: (n) => `${runId}-so${n}`, workers: w, perWorker: 2, cores: machineInfo(null).cores,
        });
        passes.push(r);
        const perServer = r.redisCommandsPerMessageByServer && Object.keys(r.redisCommandsPerMessageByServer).length > 1 ? `, Redis commands per message by master ${JSON.stringify(r.redisCommandsPerMessageByServer)}` : '';
        log(`${r.label}: ${r.messagesPerSec} msg/s, ${String(r.extra?.scansPerSec)} scans/s, ${String(r.redisCommandsPerMessage)} Redis commands per message${perServer}, limited by ${String(r.extra?.bottleneck)} (${r.seconds} s)`);
      }
    }

    if (args.phases.includes('memory')) {
      memory = await runMemoryPhase({
        workDir: join(work, 'memory'), attachmentBytes: args.memoryMb * 1e6, seed: args.seed, redisUrl: args.redisUrl, prefix: `${runId}-mem`, log,
      });
      log(`memory: producer peak ${memory.producer.growthX} x, worker peak ${memory.worker.growthX} x the attachment over baseline, ${memory.action ?? 'no answer'} in ${memory.seconds} s`);
    }

    if (args.phases.includes('soak') && clamdTarget) {
      soak = await runSoakPhase({
        corpus, workDir: join(work, 'soak'), scanner: clamdTarget, redis, redisUrl: args.redisUrl, prefix: `${runId}-sk`, rounds: args.soakRounds,
        workerConcurrency: args.workerConcurrency, clientConcurrency: args.concurrency, resultTtlSec: SOAK_RESULT_TTL_SEC, log,
      });
    }

    addRatios(passes, limit, corpus.messages.length);
    const table = formatTable([...limit.map((l) => limitRow(l, limit)), ...passes.map((p) => passRow(p, limit))]);
    const { help: _help, ...settings } = args;
    return {
      startedAt: new Date(started).toISOString(),
      durationSec: Math.round((Date.now() - started) / 100) / 10,
      loadAverage1m: { start: loadStart, end: loadAverage1m() },
      machine: machineInfo(redisVersion),
      settings,
      corpus: { ...corpus.summary, generateSec },
      limit,
      passes,
      table,
      ...(memory ? { memory } : {}),
      ...(soak ? { soak } : {}),
    };
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await redis.cleanup(runId).catch(() => 0);
    await redis.close();
    if (!args.keep) rmSync(work, { recursive: true, force: true });
    else log(`kept ${work}`);
  }
}
