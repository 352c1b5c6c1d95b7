import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFleet, type Fleet } from '../helpers/fleet-processes';
import { jsonLogLines, type LogLine } from '../helpers/json-log-lines';
import { startPrivateRedis, type PrivateRedis } from '../helpers/start-redis';
import { testServices } from '../helpers/test-services';
import { waitUntil } from '../helpers/wait-until';

/**
 * Logs while Redis is away: a producer and a worker run against a private redis-server
 * that is stopped for about 3 s and started again, twice. Every line either process
 * writes (stdout and stderr) must stay pino JSON — no stack trace a client library
 * prints — and each outage is told once per process: one `Redis connection lost`, one
 * `Redis connection back` (with how long it was lost), not one line per retry.
 */

jest.setTimeout(120000);

const OUTAGE_MS = 3000;
/** Time for every client of both processes to notice the outage, and to reconnect afterwards (2x their 2 s retry cap + 1 s). */
const SETTLE_MS = 2 * 2000 + 1000;

let dir: string;
let redisServer: PrivateRedis;
let fleet: Fleet;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'avft-outage-logs-'));
  const { clamd } = testServices();
  const conf = join(dir, 'antivirus.conf');
  writeFileSync(conf, `clamav {\n  symbol = "CLAM_VIRUS";\n  fail_action = "soft reject";\n  servers = "${clamd.host}:${clamd.port}";\n}\n`);
  redisServer = await startPrivateRedis();
  fleet = await startFleet({
    configPath: conf,
    env: { AVFLEET_QUEUE_PREFIX: 'avft-outage-logs', AVFLEET_REDIS_URL: redisServer.url, AVFLEET_STORE: join(dir, 'store'), LOG_LEVEL: 'info' },
  });
});

afterAll(async () => {
  await fleet?.stop();
  await redisServer?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});


function message(tag: string): Buffer {
  return Buffer.from(`From: a@example.org\r\nTo: b@example.org\r\nSubject: ${tag}\r\nMessage-ID: <${tag}.${Date.now()}@avfleet.test>\r\n\r\nhello ${tag}\r\n`, 'latin1');
}

const count = (lines: readonly LogLine[], msg: string): number => lines.filter((l) => l.msg === msg).length;

test('two 3 s Redis outages: only pino JSON on stdout and stderr, one lost and one back line per outage and process', async () => {
  for (let outage = 1; outage <= 2; outage += 1) {
    await redisServer.stop();
    // A submission during the outage runs the request path into it too (answered 503, or done once Redis is back).
    const during = fetch(`${fleet.apiUrl}/scans?wait=20`, { method: 'POST', body: message(`during-${outage}`), signal: AbortSignal.timeout(60000) });
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await redisServer.start();
    expect([200, 503]).toContain((await during).status);
    await waitUntil(async () => (await fetch(`${fleet.apiUrl}/readyz`)).status === 200, {
      timeoutMs: 30000, intervalMs: 250, failureMessage: () => `the producer did not become ready after Redis came back\n${fleet.logs()}`,
    });
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    for (const proc of [fleet.producer, fleet.worker]) {
      const lines = jsonLogLines(proc.logs());
      expect({ role: proc.role, lost: count(lines, 'Redis connection lost'), back: count(lines, 'Redis connection back') })
        .toEqual({ role: proc.role, lost: outage, back: outage });
      const back = lines.filter((l) => l.msg === 'Redis connection back').at(-1);
      expect(back?.lostMs).toBeGreaterThanOrEqual(OUTAGE_MS - 500);
      expect(back?.lostMs).toBeLessThan(2 * (OUTAGE_MS + SETTLE_MS) + 1000);
    }
  }
  // Both processes outlived the outages, and scan.
  const after = await fetch(`${fleet.apiUrl}/scans?wait=20`, { method: 'POST', body: message('after'), signal: AbortSignal.timeout(60000) });
  expect(after.status).toBe(200);
  expect(fleet.producer.exitStatus()).toBeUndefined();
  expect(fleet.worker.exitStatus()).toBeUndefined();
});
