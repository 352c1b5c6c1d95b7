import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../../test/helpers/repo-root';
import { waitUntil } from '../../../test/helpers/wait-until';
import { freePort } from '../services/free-port';

/** Where the fleet keeps messages and parts. */
export type BenchStore = { kind: 'folder'; dir: string } | { kind: 's3'; endpoint: string; bucket: string };

export interface FleetOptions {
  /** Folder for antivirus.conf and the process logs. */
  workDir: string;
  scanner: { host: string; port: number };
  redisUrl: string;
  /** AVFLEET_QUEUE_PREFIX (starts with `avfb`, so the bench can clean up after itself). */
  queuePrefix: string;
  /** The clamav rule's verdict-cache prefix. */
  cachePrefix: string;
  store: BenchStore;
  workers: number;
  workerConcurrency: number;
  logLevel?: string;
  /** Settings that override the bench's (e.g. AVFLEET_MAX_MESSAGE_BYTES). */
  env?: Record<string, string>;
}

export interface RunningFleet {
  producerUrl: string;
  producerPid: number;
  workerPids: number[];
  /** Each worker's /metrics URL. */
  workerMetricsUrls: string[];
  stop(): Promise<void>;
}

/** The bench's rule: the corpus README's reference rule, with images scanned too (see docs/benchmarks.md). */
export function benchRuleConf(scanner: { host: string; port: number }, cachePrefix: string): string {
  return [
    'clamav {',
    '  scan_mime_parts = true;',
    '  scan_text_mime = false;',
    '  scan_image_mime = true;',
    '  symbol = "CLAM_VIRUS";',
    '  type = "clamav";',
    '  action = "reject";',
    `  message = '\${SCANNER}: virus found: "\${VIRUS}"';`,
    `  servers = "${scanner.host}:${scanner.port}";`,
    '  timeout = 60s;',
    '  retransmits = 1;',
    `  prefix = "${cachePrefix}";`,
    '}',
    '',
  ].join('\n');
}

function fleetEnv(o: FleetOptions, configPath: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AVFLEET_')) env[k] = v;
  Object.assign(env, {
    AVFLEET_CONFIG: configPath,
    AVFLEET_REDIS_URL: o.redisUrl,
    AVFLEET_QUEUE_PREFIX: o.queuePrefix,
    AVFLEET_CONCURRENCY: String(o.workerConcurrency),
    AVFLEET_MAX_WAITING: '1000000',
    AVFLEET_RESULT_TTL: '900',
    LOG_LEVEL: o.logLevel ?? 'warn',
  });
  if (o.store.kind === 'folder') env.AVFLEET_STORE = o.store.dir;
  else {
    Object.assign(env, { AVFLEET_STORE: `s3://${o.store.bucket}`, AVFLEET_S3_ENDPOINT: o.store.endpoint, AVFLEET_S3_ACCESS_KEY: 'S3RVER', AVFLEET_S3_SECRET_KEY: 'S3RVER' });
  }
  return { ...env, ...o.env };
}

function spawnCli(args: string[], env: NodeJS.ProcessEnv, logPath: string): ChildProcess {
  const fd = openSync(logPath, 'a');
  try {
    return spawn(process.execPath, [...profileArgs(), join(repoRoot(), 'apps', 'cli', 'bin', 'avfleet.js'), ...args], { env, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
}

/**
 * `AVFLEET_BENCH_NODE_ARGS`: Node options for every fleet process the bench starts, split at
 * spaces, e.g. `--cpu-prof --cpu-prof-dir=DIR` (a `.cpuprofile` per process when it stops,
 * for Chrome DevTools or `node benchmarks/summarize-cpu-profile.js`) or `--trace-gc` (GC
 * events in the process logs; keep them with `--keep`). Node refuses these in NODE_OPTIONS.
 */
function profileArgs(): string[] {
  return (process.env.AVFLEET_BENCH_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
}

async function waitReady(url: string, child: ChildProcess, logPath: string): Promise<void> {
  await waitUntil(async () => (await fetch(url, { signal: AbortSignal.timeout(1000) })).status === 200, {
    timeoutMs: 60000,
    intervalMs: 100,
    failureMessage: () => `AVF_ERR_BENCH_FLEET: ${url} was not ready within 60 s; see ${logPath}:\n${tail(logPath)}`,
    abortWhen: () => (child.exitCode !== null || child.signalCode !== null ? `AVF_ERR_BENCH_FLEET: the process behind ${url} exited (${child.exitCode ?? child.signalCode}); see ${logPath}:\n${tail(logPath)}` : undefined),
  });
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-10).join('\n');
  } catch {
    return '(no output)';
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Starts `avfleet producer` and `workers` × `avfleet worker` as separate processes
 * (`node apps/cli/bin/avfleet.js`, settings by environment) and waits for their /readyz.
 */
export async function startFleet(o: FleetOptions): Promise<RunningFleet> {
  mkdirSync(o.workDir, { recursive: true });
  const configPath = join(o.workDir, 'antivirus.conf');
  writeFileSync(configPath, benchRuleConf(o.scanner, o.cachePrefix));
  const env = fleetEnv(o, configPath);
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(children.map(stopChild));
  };
  try {
    const listen = await freePort();
    const producerLog = join(o.workDir, 'producer.log');
    const producer = spawnCli(['producer'], { ...env, AVFLEET_LISTEN: `127.0.0.1:${listen}` }, producerLog);
    children.push(producer);
    const ready: Promise<void>[] = [waitReady(`http://127.0.0.1:${listen}/readyz`, producer, producerLog)];
    const workerPids: number[] = [];
    const workerMetricsUrls: string[] = [];
    for (let i = 0; i < o.workers; i++) {
      const metrics = await freePort();
      const log = join(o.workDir, `worker-${i + 1}.log`);
      const worker = spawnCli(['worker'], { ...env, AVFLEET_METRICS_LISTEN: `127.0.0.1:${metrics}` }, log);
      children.push(worker);
      workerPids.push(worker.pid ?? -1);
      workerMetricsUrls.push(`http://127.0.0.1:${metrics}/metrics`);
      ready.push(waitReady(`http://127.0.0.1:${metrics}/readyz`, worker, log));
    }
    await Promise.all(ready);
    return { producerUrl: `http://127.0.0.1:${listen}`, producerPid: producer.pid ?? -1, workerPids, workerMetricsUrls, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
