import { readFileSync } from 'node:fs';
import { loadAntivirusConfig, resolveFleetSettings, type FleetSettings } from '@avfleet/config';
import { createLogger, type ScanResult } from '@avfleet/core';
import { startProducer } from '@avfleet/producer';
import { startWorker } from '@avfleet/worker';
import { makeOutcome, type SideResult } from './outcome';
import { isAvSymbol } from './reference-rule';

export interface AvfleetFleetOptions {
  /** The antivirus.conf (the same file Rspamd includes). */
  readonly configPath: string;
  /** e.g. `redis://127.0.0.1:6379/15`. */
  readonly redisUrl: string;
  /** Unique BullMQ prefix of this run. */
  readonly queuePrefix: string;
  /** Folder for the message store. */
  readonly storeDir: string;
}

export interface AvfleetFleet {
  readonly baseUrl: string;
  readonly settings: FleetSettings;
  scan(file: string, timeoutMs: number): Promise<SideResult>;
  close(): Promise<void>;
}

/** A producer and a worker in this process, as `avfleet scan` runs them. */
export async function startAvfleetFleet(opts: AvfleetFleetOptions): Promise<AvfleetFleet> {
  const resolved = resolveFleetSettings({
    flags: {},
    env: {
      AVFLEET_CONFIG: opts.configPath,
      AVFLEET_REDIS_URL: opts.redisUrl,
      AVFLEET_QUEUE_PREFIX: opts.queuePrefix,
      AVFLEET_STORE: opts.storeDir,
    },
    role: 'scan',
  });
  const settings: FleetSettings = {
    ...resolved,
    listen: { host: '127.0.0.1', port: 0 },
    metricsListen: { host: '127.0.0.1', port: 0 },
  };
  const config = loadAntivirusConfig(opts.configPath, { lenient: false });
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'error', name: 'avfleet-parity', destination: process.stderr });
  const worker = await startWorker({ settings, config, logger, serveOps: false });
  let producer;
  try {
    producer = await startProducer({ settings, config, logger });
  } catch (err) {
    await worker.close();
    throw err;
  }
  const baseUrl = `http://127.0.0.1:${producer.address.port}`;
  const running = producer;
  return {
    baseUrl,
    settings,
    scan: (file, timeoutMs) => scanFile(baseUrl, file, timeoutMs),
    close: async () => {
      await running.close();
      await worker.close();
    },
  };
}

async function scanFile(baseUrl: string, file: string, timeoutMs: number): Promise<SideResult> {
  try {
    const result = await submit(baseUrl, readFileSync(file), timeoutMs);
    const symbols: Record<string, readonly string[]> = {};
    for (const s of Object.values(result.symbols)) symbols[s.name] = s.options ?? [];
    return makeOutcome(symbols, result.action, isAvSymbol);
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** POST /scans?wait=…, then poll GET /scans/:id while the answer is 202 (docs/interfaces.md §3). */
async function submit(baseUrl: string, raw: Buffer, timeoutMs: number): Promise<ScanResult> {
  const deadline = Date.now() + timeoutMs;
  const headers = { 'content-type': 'message/rfc822' };
  const res = await fetch(new URL('/scans?wait=60', baseUrl), { method: 'POST', body: raw, headers });
  let body = (await res.json()) as unknown;
  if (res.status === 200) return body as ScanResult;
  if (res.status !== 202) throw new Error(describe(res.status, body));
  const id = (body as { id: string }).id;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    const poll = await fetch(new URL(`/scans/${encodeURIComponent(id)}`, baseUrl));
    body = (await poll.json()) as unknown;
    if (poll.status !== 200) throw new Error(describe(poll.status, body));
    if ((body as ScanResult).state === 'done') return body as ScanResult;
  }
  throw new Error(`avfleet scan ${id} not finished after ${timeoutMs} ms`);
}

function describe(status: number, body: unknown): string {
  const e = (body as { error?: { code?: string; message?: string } })?.error;
  return e ? `HTTP ${status} ${e.code}: ${e.message}` : `HTTP ${status}`;
}
