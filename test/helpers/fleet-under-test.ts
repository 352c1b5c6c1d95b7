import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import IORedis from 'ioredis';
import { loadAntivirusConfig, resolveFleetSettings, type FleetSettings } from '@avfleet/config';
import { NOOP_LOGGER, type Logger } from '@avfleet/core';
import { startProducer, type RunningProducer } from '@avfleet/producer';
import { startWorker, type RunningWorker, type StartWorkerOptions } from '@avfleet/worker';
import { cleanupPrefix, testPrefix } from './redis-prefix';
import { testServices } from './test-services';

/** A producer and a worker started in this process against the test Redis and clamd, each with its own metrics registry. */
export interface FleetUnderTest {
  /** `http://127.0.0.1:PORT` of the producer's API (it also serves /metrics). */
  readonly producerUrl: string;
  /** `http://127.0.0.1:PORT` of the worker's --metrics-listen. */
  readonly workerOpsUrl: string;
  readonly settings: FleetSettings;
  /** POST /scans?wait=30 and the parsed JSON answer. */
  scan(raw: Buffer, headers?: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

export interface FleetUnderTestOptions {
  /** The test file's name (for the Redis key prefix). */
  readonly testFile: string;
  /**
   * antivirus.conf text; `${CLAMD}` is replaced by the test clamd's host:port and
   * `${PREFIX}` by the run's Redis key prefix (use it in each rule's `prefix`, so
   * verdict-cache keys are the run's own and are removed afterwards).
   */
  readonly conf: string;
  /** Extra settings as environment variables (docs/interfaces.md §2 names). */
  readonly env?: Readonly<Record<string, string>>;
  readonly producerLogger?: Logger;
  readonly workerLogger?: Logger;
  /** The clamd `${CLAMD}` stands for (default: the shared test clamd), e.g. a test's own clamd or a simulator. */
  readonly clamd?: { readonly host: string; readonly port: number };
  /** More options of the worker (the retro-scan's `announce`, a shorter signature-version interval). */
  readonly worker?: Pick<StartWorkerOptions, 'announce' | 'signatureVersionIntervalMs'>;
}

/** Starts worker then producer; close() stops both and deletes the run's Redis keys and temp folder. */
export async function startFleetUnderTest(opts: FleetUnderTestOptions): Promise<FleetUnderTest> {
  const services = testServices();
  const dir = mkdtempSync(join(tmpdir(), 'avfleet-fut-'));
  const confPath = join(dir, 'antivirus.conf');
  const prefix = testPrefix(opts.testFile);
  const clamd = opts.clamd ?? services.clamd;
  writeFileSync(confPath, opts.conf.replaceAll('${CLAMD}', `${clamd.host}:${clamd.port}`).replaceAll('${PREFIX}', prefix));
  const env = { AVFLEET_STORE: join(dir, 'store'), ...opts.env, AVFLEET_CONFIG: confPath, AVFLEET_REDIS_URL: services.redisUrl };
  const base = resolveFleetSettings({ flags: {}, env, role: 'producer', cwd: dir });
  const config = loadAntivirusConfig(confPath);
  const loopback0 = { host: '127.0.0.1', port: 0 };
  const queuePrefix = prefix.slice(0, -1);
  // Both on 127.0.0.1:0: the worker's --metrics-listen gets its own port; the producer, whose
  // listen and metricsListen are the same address, serves /metrics on its API listener.
  const settings: FleetSettings = { ...base, queuePrefix, listen: loopback0, metricsListen: loopback0 };
  let worker: RunningWorker | null = null;
  let producer: RunningProducer | null = null;
  const close = async (): Promise<void> => {
    await producer?.close();
    await worker?.close();
    const redis = new IORedis(services.redisUrl, { maxRetriesPerRequest: 1 });
    try {
      await cleanupPrefix(redis, prefix);
    } finally {
      redis.disconnect();
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    worker = await startWorker({ settings, config, logger: opts.workerLogger ?? NOOP_LOGGER, ...opts.worker });
    producer = await startProducer({ settings, config, logger: opts.producerLogger ?? NOOP_LOGGER });
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
  if (!worker.opsAddress) throw new Error('the worker did not open its metrics listener');
  const producerUrl = `http://127.0.0.1:${producer.address.port}`;
  return {
    producerUrl,
    workerOpsUrl: `http://127.0.0.1:${worker.opsAddress.port}`,
    settings,
    async scan(raw, headers = {}) {
      const res = await fetch(`${producerUrl}/scans?wait=30`, { method: 'POST', body: raw, headers });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    close,
  };
}

/** GET `url` and return the body text, failing on a status other than 200. */
export async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${text.slice(0, 300)}`);
  return text;
}
