import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import IORedis from 'ioredis';
import { EICAR_TEST_STRING, type ScanResult } from '@avfleet/core';
import { isProcessAlive } from '../helpers/daemon-process';
import { childEnv, freePort, renderTestConfig, requireBuiltCli, startFleetProcess, type FleetProcess } from '../helpers/fleet-processes';
import { parsePromText, sampleSum } from '../helpers/prometheus-text';
import { cleanupPrefix, testPrefix, teardownThenDisconnect } from '../helpers/redis-prefix';
import { testServices } from '../helpers/test-services';
import { waitUntil } from '../helpers/wait-until';

/**
 * AVFLEET_PRODUCER_PROCESSES=2, for real: `avfleet producer` becomes a cluster
 * primary with two producer children on one port, next to a worker and the test
 * clamd. Scans are spread over both children, /metrics counts the whole producer
 * whichever child answers, a child killed with SIGKILL is replaced, and SIGTERM
 * to the primary ends everything with exit code 0.
 */

jest.setTimeout(120000);

const services = testServices();
const redis = new IORedis(services.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
const prefix = testPrefix('producer-processes.int.test.ts');
const configPath = renderTestConfig('whole-message-clamav.conf', { CLAMD: `${services.clamd.host}:${services.clamd.port}`, PREFIX: `${prefix}cache_` });
const dir = dirname(configPath);
const procs: FleetProcess[] = [];
let producer: FleetProcess;
let apiPort: number;

interface LogLine {
  readonly pid: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** The producer's pino lines (primary's and children's: the children share its stdout). */
function logLines(): LogLine[] {
  return producer
    .logs()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as LogLine];
      } catch {
        return [];
      }
    });
}

const childPids = (msg: string): number[] => logLines().filter((l) => l.pid === producer.pid && l.msg === msg).map((l) => l.child as number);

/** One HTTP exchange on a connection of its own (no keep-alive), so the cluster's round-robin spreads them. */
function call(method: string, path: string, body?: Buffer): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: apiPort, method, path, agent: false, headers: { connection: 'close' }, timeout: 30000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

function message(infected: boolean): Buffer {
  const tag = randomBytes(6).toString('hex');
  const body = infected ? EICAR_TEST_STRING : `clean text ${tag}`;
  return Buffer.from(`From: a@example.org\r\nTo: b@example.org\r\nSubject: processes ${tag}\r\nMessage-ID: <${tag}@avfleet.test>\r\n\r\n${body}\r\n`, 'latin1');
}

async function scan(infected: boolean): Promise<ScanResult> {
  const res = await call('POST', '/scans?wait=30', message(infected));
  if (res.status !== 200) throw new Error(`POST /scans answered ${res.status}: ${res.text}\n${producer.logs().slice(-3000)}`);
  return JSON.parse(res.text) as ScanResult;
}

async function postScansAnswered(): Promise<{ count: number; contentType: unknown; text: string }> {
  const res = await call('GET', '/metrics');
  expect(res.status).toBe(200);
  const count = sampleSum(parsePromText(res.text), 'avfleet_http_requests_total', { route: 'post_scans', status: '200' });
  return { count, contentType: res.headers['content-type'], text: res.text };
}

const PROMTOOL = process.env.PROMTOOL ?? 'promtool';

function promtool(text: string): { status: number | null; output: string } {
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run ${PROMTOOL} (${r.error.message}): install Debian's prometheus package or set PROMTOOL`);
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

beforeAll(async () => {
  const env = {
    AVFLEET_QUEUE_PREFIX: prefix.slice(0, -1), AVFLEET_REDIS_URL: services.redisUrl, AVFLEET_STORE: join(dir, 'store'), AVFLEET_CONCURRENCY: '4',
  };
  procs.push(await startFleetProcess({ role: 'worker', configPath, listen: `127.0.0.1:${await freePort()}`, env }));
  apiPort = await freePort();
  producer = await startFleetProcess({
    role: 'producer', configPath, listen: `127.0.0.1:${apiPort}`,
    // debug: every accepted message is logged with the pid of the child that took it.
    env: { ...env, AVFLEET_PRODUCER_PROCESSES: '2', LOG_LEVEL: 'debug' },
  });
  procs.push(producer);
  await waitUntil(async () => logLines().some((l) => l.msg === 'producer cluster ready'), {
    timeoutMs: 20000, failureMessage: () => `the producer cluster never logged 'producer cluster ready'\n${producer.logs().slice(-3000)}`,
  });
});

afterAll(() =>
  teardownThenDisconnect(redis, async () => {
    await Promise.all(procs.map((p) => p.stop(5000)));
    for (const pid of childPids('producer process started')) if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
    await cleanupPrefix(redis, prefix);
    rmSync(dir, { recursive: true, force: true });
  }),
);

test('two children on one port: scans spread over both, /metrics counts the whole producer', async () => {
  const started = childPids('producer process started');
  expect(started).toHaveLength(2);
  expect(new Set([...started, producer.pid]).size).toBe(3);

  const SENT = 10;
  const results: ScanResult[] = [];
  for (let i = 0; i < SENT; i++) results.push(await scan(i === 3));
  expect(results.map((r) => r.action)).toEqual(results.map((_, i) => (i === 3 ? 'reject' : 'no action')));
  expect(results[3]!.symbols.CLAM_VIRUS).toBeDefined();
  expect(results[0]!.symbols.CLAM_VIRUS).toBeUndefined();

  // Every message was taken by one of the two children, and both took some.
  const takers = logLines().filter((l) => l.msg === 'message accepted' || l.msg === 'message scanned').map((l) => l.pid);
  expect(takers).toHaveLength(SENT);
  expect(new Set(takers)).toEqual(new Set(started));

  // Whichever child answers the scrape, it reports both children's requests.
  let merged = '';
  for (let i = 0; i < 4; i++) {
    const { count, contentType, text } = await postScansAnswered();
    expect(count).toBe(SENT);
    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    merged = text;
  }
  // The merged text is as clean for Prometheus as one process's own.
  expect(promtool(merged)).toEqual({ status: 0, output: '' });
  const parsed = parsePromText(merged);
  expect(parsed.types.get('avfleet_message_latency_seconds')).toBe('histogram');
  expect(sampleSum(parsed, 'avfleet_http_requests_total', { route: 'metrics', status: '200' })).toBeGreaterThanOrEqual(3);
  for (let i = 0; i < 4; i++) expect((await call('GET', '/healthz')).status).toBe(200);
});

test('a child killed with SIGKILL is restarted and scans keep working', async () => {
  const [victim, survivor] = childPids('producer process ready');
  process.kill(victim!, 'SIGKILL');
  await waitUntil(async () => childPids('producer process ready').length >= 3, {
    timeoutMs: 30000, failureMessage: () => `no replacement child became ready after SIGKILL of ${victim}\n${producer.logs().slice(-3000)}`,
  });
  const exitLine = logLines().find((l) => l.pid === producer.pid && l.child === victim && String(l.msg).startsWith('producer process exited unexpectedly'));
  expect(exitLine).toMatchObject({ level: 50, signal: 'SIGKILL' });
  const replacement = childPids('producer process ready')[2]!;
  expect([victim, survivor]).not.toContain(replacement);
  expect(isProcessAlive(survivor!)).toBe(true);

  const before = logLines().length;
  for (let i = 0; i < 6; i++) expect((await scan(i === 0)).action).toBe(i === 0 ? 'reject' : 'no action');
  const takers = new Set(logLines().slice(before).filter((l) => l.msg === 'message accepted' || l.msg === 'message scanned').map((l) => l.pid));
  expect(takers).toEqual(new Set([survivor, replacement]));
});

test('SIGTERM to the primary stops both children and exits 0', async () => {
  const alive = childPids('producer process ready').filter((pid) => isProcessAlive(pid));
  expect(alive).toHaveLength(2);
  process.kill(producer.pid, 'SIGTERM');
  await waitUntil(async () => producer.exitStatus() !== undefined, {
    timeoutMs: 15000, intervalMs: 50, failureMessage: () => `the primary did not exit within 15 s of SIGTERM\n${producer.logs().slice(-3000)}`,
  });
  expect(producer.exitStatus()).toBe('exit code 0');
  for (const pid of alive) expect(isProcessAlive(pid)).toBe(false);
  expect(logLines().filter((l) => l.msg === 'producer stopping').map((l) => l.pid).sort()).toEqual(expect.arrayContaining([...alive].sort()));
});

test.each([['1'], ['2']])('AVFLEET_PRODUCER_PROCESSES=%s on an address in use: says so and exits non-zero (nothing keeps it alive)', async (processes) => {
  const env = {
    AVFLEET_QUEUE_PREFIX: prefix.slice(0, -1), AVFLEET_REDIS_URL: services.redisUrl, AVFLEET_STORE: join(dir, 'store'), AVFLEET_PRODUCER_PROCESSES: processes,
  };
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const port = (holder.address() as AddressInfo).port;
  try {
    const r = await new Promise<{ status: number | null; signal: string | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [requireBuiltCli(), 'producer', '--config', configPath, '--listen', `127.0.0.1:${port}`], { env: childEnv(env) });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.stdout.resume();
      const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
      child.once('exit', (status, signal) => {
        clearTimeout(timer);
        resolve({ status, signal, stderr });
      });
    });
    expect(r.signal).toBeNull(); // not killed after 30 s: it ended by itself
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('the address is in use');
  } finally {
    holder.close();
  }
});
