import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../test/helpers/fleet-processes';
import { generateCorpus, type CorpusMessage } from '../corpus/generate-corpus';
import { cpuSeconds } from '../measure/proc-stats';
import { driveFleet } from '../phases/http-driver';
import { rawInstream, runPool } from '../phases/raw-instream';
import { startBenchClamd } from '../services/bench-clamd';
import { measureBullmqFloor } from './bullmq-floor';
import { serveFloor, type FloorServerMode } from './floor-server';
import { splitByBoundary } from './split-by-boundary';
import { splitDecodeHash } from './split-decode-hash';
import { writeMessagesDurably } from './store-write-floor';

const CONCURRENCY = 4;

/** CPU ms per message of this process while `work` runs (all threads: process.cpuUsage). */
async function ownCpuMsPerMessage(messages: number, work: () => Promise<void>): Promise<number> {
  const t0 = process.cpuUsage();
  await work();
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / 1000 / messages;
}

/** Starts this file as `--serve MODE PORT [CLAMD_PORT]` and resolves once it listens. */
async function startServer(mode: FloorServerMode, clamdPort: number | null): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [__filename, '--serve', mode, String(port), String(clamdPort ?? 0)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`AVF_ERR_BENCH_FLOOR: the ${mode} server exited (${code}) before listening`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

/** CPU ms per message of the server process while the 4-in-flight client posts `messages`. */
async function serverCpuMsPerMessage(pid: number, url: string, messages: readonly CorpusMessage[]): Promise<{ cpuMs: number; wrong: number }> {
  const c0 = cpuSeconds(pid) ?? 0;
  const out = await driveFleet(url, messages, CONCURRENCY);
  const c1 = cpuSeconds(pid) ?? 0;
  return { cpuMs: ((c1 - c0) * 1000) / messages.length, wrong: out.filter((o) => !o.correct).length };
}

function flag(argv: readonly string[], name: string, fallback: string): string {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
}

const round = (n: number): number => Math.round(n * 100) / 100;

/**
 * `node benchmarks/dist/benchmarks/src/floors/run-floors.js [--messages 300] [--seed …]
 * [--redis URL] [--out FILE]`: each stage of the message path done by a minimal program over
 * the bench corpus, CPU ms per message (docs/benchmarks.md, "What holds the target").
 */
async function runFloors(argv: readonly string[]): Promise<void> {
  const messagesN = Number(flag(argv, '--messages', '300'));
  const seed = flag(argv, '--seed', 'avfleet-bench-1');
  const redisUrl = flag(argv, '--redis', 'redis://127.0.0.1:6379/0');
  const load0 = loadavg()[0]!;
  const startedAt = new Date().toISOString();
  const corpus = generateCorpus({ messages: messagesN, seed });
  const messages = corpus.messages;
  const log = (line: string): void => void process.stderr.write(`[floors ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  const result: Record<string, unknown> = { startedAt, messages: messagesN, seed };

  // (b) split, decode, hash: two passes in this process (the second with the code compiled by V8).
  const splitPasses: number[] = [];
  for (let pass = 0; pass < 2; pass++) {
    splitPasses.push(await ownCpuMsPerMessage(messages.length, async () => {
      for (const m of messages) await splitDecodeHash(m.bytes);
    }));
  }
  result.splitDecodeHash = { pass1: round(splitPasses[0]!), pass2: round(splitPasses[1]!) };
  log(`split/decode/hash (mailsplit): ${JSON.stringify(result.splitDecodeHash)} ms CPU per message`);
  // The same with boundaries by Buffer.indexOf; first checked to give the same attachments.
  for (const m of messages) {
    const a = (await splitDecodeHash(m.bytes)).filter((l) => l.filename !== null).map((l) => `${l.filename} ${l.sha256}`);
    const b = splitByBoundary(m.bytes).filter((l) => l.filename !== null).map((l) => `${l.filename} ${l.sha256}`);
    const expected = m.attachments.map((x) => `${x.filename} ${x.sha256}`);
    if (a.join() !== expected.join() || b.join() !== expected.join()) throw new Error(`AVF_ERR_BENCH_FLOOR: message ${m.index}: the floors' splitters disagree with the corpus`);
  }
  const boundaryPasses: number[] = [];
  for (let pass = 0; pass < 2; pass++) {
    boundaryPasses.push(await ownCpuMsPerMessage(messages.length, async () => {
      for (const m of messages) splitByBoundary(m.bytes);
    }));
  }
  result.splitByBoundary = { pass1: round(boundaryPasses[0]!), pass2: round(boundaryPasses[1]!) };
  log(`split/decode/hash (Buffer.indexOf): ${JSON.stringify(result.splitByBoundary)} ms CPU per message`);

  const work = mkdtempSync(join(tmpdir(), 'avfleet-floors-'));
  // the store write: every message to a file, fsync'ed, renamed.
  const storeDir = join(work, 'store');
  mkdirSync(storeDir);
  result.storeWrite = { cpuMs: round(await ownCpuMsPerMessage(messages.length, () => writeMessagesDurably(storeDir, messages, CONCURRENCY))) };
  log(`store write: ${JSON.stringify(result.storeWrite)}`);
  const clamd = await startBenchClamd(join(work, 'clamd'), await freePort());
  try {
    // (c) scanner I/O: INSTREAM of each attachment not seen before (the cache), messages 4 in flight.
    const seen = new Set<string>();
    let scans = 0;
    const scannerMs = await ownCpuMsPerMessage(messages.length, () =>
      runPool(messages.length, CONCURRENCY, async (i) => {
        const fresh = messages[i]!.attachments.filter((a) => !seen.has(a.sha256) && seen.add(a.sha256));
        scans += fresh.length;
        await Promise.all(fresh.map((a) => rawInstream('127.0.0.1', clamd.tcpPort!, a.data)));
      }),
    );
    result.scannerIo = { cpuMs: round(scannerMs), scans, scansPerMessage: round(scans / messages.length) };
    log(`scanner I/O: ${JSON.stringify(result.scannerIo)}`);

    // (d) the job protocol: one BullMQ job per scan.
    const bull = await measureBullmqFloor(redisUrl, 2000);
    const perMessage = scans / messages.length;
    result.bullmq = {
      ...bull,
      nodeCpuMsPerJob: round(bull.nodeCpuMsPerJob * 1000) / 1000,
      redisCpuMsPerJob: round(bull.redisCpuMsPerJob * 1000) / 1000,
      nodeCpuMsPerMessage: round(bull.nodeCpuMsPerJob * perMessage),
      redisCpuMsPerMessage: round(bull.redisCpuMsPerJob * perMessage),
      redisCommandsPerMessage: Math.round(bull.redisCommandsPerJob * perMessage * 10) / 10,
    };
    log(`BullMQ job: ${JSON.stringify(result.bullmq)}`);

    // (a) receive and (e) the whole pipeline: a server process, the bench's HTTP client in this one.
    for (const mode of ['receive', 'pipeline', 'pipeline-mailsplit'] as const) {
      const { child, url } = await startServer(mode, mode === 'receive' ? null : clamd.tcpPort!);
      try {
        const cold = await serverCpuMsPerMessage(child.pid!, url, messages);
        const warm = await serverCpuMsPerMessage(child.pid!, url, messages);
        result[mode] = { coldCpuMs: round(cold.cpuMs), warmCpuMs: round(warm.cpuMs), ...(mode !== 'receive' ? { wrongCold: cold.wrong, wrongWarm: warm.wrong } : {}) };
        log(`${mode}: ${JSON.stringify(result[mode])}`);
      } finally {
        child.kill('SIGTERM');
      }
    }
  } finally {
    await clamd.stop();
    rmSync(work, { recursive: true, force: true });
  }
  result.loadAverage1m = { start: round(load0), end: round(loadavg()[0]!) };
  const json = `${JSON.stringify(result, null, 2)}\n`;
  const out = flag(argv, '--out', '');
  if (out) writeFileSync(out, json);
  process.stdout.write(json);
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  if (argv[0] === '--serve') {
    const clamdPort = Number(argv[3]);
    serveFloor(argv[1] as FloorServerMode, Number(argv[2]), clamdPort > 0 ? { host: '127.0.0.1', port: clamdPort } : null).then(
      () => process.stdout.write('ready\n'),
      (err: Error) => {
        process.stderr.write(`${err.stack}\n`);
        process.exit(2);
      },
    );
  } else {
    runFloors(argv).then(
      () => process.exit(0),
      (err: Error) => {
        process.stderr.write(`floors: ${err.stack}\n`);
        process.exit(2);
      },
    );
  }
}
