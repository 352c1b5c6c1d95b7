import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startFleetProcess, type FleetProcess } from '../../../test/helpers/fleet-processes';

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
  /** Extra producer flags (e.g. `--milter-listen 127.0.0.1:PORT`). */
  producerArgs?: string[];
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

/** The bench's settings for every fleet process (the child environment drops any AVFLEET_* of the bench's own). */
function fleetSettings(o: FleetOptions): Record<string, string> {
  const env: Record<string, string> = {
    AVFLEET_REDIS_URL: o.redisUrl,
    AVFLEET_QUEUE_PREFIX: o.queuePrefix,
    AVFLEET_CONCURRENCY: String(o.workerConcurrency),
    AVFLEET_MAX_WAITING: '1000000',
    AVFLEET_RESULT_TTL: '900',
    LOG_LEVEL: o.logLevel ?? 'warn',
  };
  if (o.store.kind === 'folder') env.AVFLEET_STORE = o.store.dir;
  else {
    Object.assign(env, { AVFLEET_STORE: `s3://${o.store.bucket}`, AVFLEET_S3_ENDPOINT: o.store.endpoint, AVFLEET_S3_ACCESS_KEY: 'S3RVER', AVFLEET_S3_SECRET_KEY: 'S3RVER' });
  }
  return { ...env, ...benchFleetEnv(), ...o.env };
}

/**
 * `AVFLEET_BENCH_FLEET_ENV`: settings for every fleet process the bench starts, as
 * `NAME=VALUE` pairs split at spaces, e.g. `AVFLEET_RETROSCAN=on` to measure what the
 * retro-scan's memory adds per message (the child environment drops the bench's own AVFLEET_*).
 */
export function benchFleetEnv(text = process.env.AVFLEET_BENCH_FLEET_ENV ?? ''): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of text.split(/\s+/).filter((p) => p !== '')) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || !pair.startsWith('AVFLEET_')) throw new Error(`AVF_ERR_BENCH_ARGS: AVFLEET_BENCH_FLEET_ENV takes AVFLEET_NAME=VALUE pairs separated by spaces, got '${pair}'`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

/**
 * `AVFLEET_BENCH_NODE_ARGS`: Node options for every fleet process the bench starts, split at
 * spaces, e.g. `--cpu-prof --cpu-prof-dir=DIR` (a `.cpuprofile` per process when it stops,
 * for Chrome DevTools or `node benchmarks/summarize-cpu-profile.js`) or `--trace-gc` (GC
 * events in the process logs; keep them with `--keep`). Node refuses these in NODE_OPTIONS.
 */
function benchNodeArgs(): string[] {
  return (process.env.AVFLEET_BENCH_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
}

/**
 * Starts `avfleet producer` and `workers` × `avfleet worker` as separate processes
 * (test/helpers/fleet-processes.ts: `node apps/cli/bin/avfleet.js`, settings by environment,
 * output appended to `<workDir>/<role>.log`) and waits for their /readyz.
 */
export async function startFleet(o: FleetOptions): Promise<RunningFleet> {
  mkdirSync(o.workDir, { recursive: true });
  const configPath = join(o.workDir, 'antivirus.conf');
  writeFileSync(configPath, benchRuleConf(o.scanner, o.cachePrefix));
  const common = { configPath, env: fleetSettings(o), readyTimeoutMs: 60000, nodeArgs: benchNodeArgs() };
  const listen = `127.0.0.1:${await freePort()}`;
  const metricsPorts: number[] = [];
  for (let i = 0; i < o.workers; i++) metricsPorts.push(await freePort());
  const started = await Promise.allSettled([
    startFleetProcess({ ...common, role: 'producer', listen, logFile: join(o.workDir, 'producer.log'), ...(o.producerArgs ? { args: o.producerArgs } : {}) }),
    ...metricsPorts.map((port, i) => startFleetProcess({ ...common, role: 'worker', listen: `127.0.0.1:${port}`, logFile: join(o.workDir, `worker-${i + 1}.log`) })),
  ]);
  const processes = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stop = async (): Promise<void> => {
    await Promise.all(processes.map((p) => p.stop()));
  };
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await stop();
    throw new Error(`AVF_ERR_BENCH_FLEET: ${(failed.reason as Error).message}`);
  }
  const [producer, ...workers] = processes as [FleetProcess, ...FleetProcess[]];
  return {
    producerUrl: producer.baseUrl,
    producerPid: producer.pid,
    workerPids: workers.map((w) => w.pid),
    workerMetricsUrls: workers.map((w) => `${w.baseUrl}/metrics`),
    stop,
  };
}
