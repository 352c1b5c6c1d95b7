import IORedis from 'ioredis';
import { MAX_NAME_BYTES } from '@avfleet/core';
import { startFleetUnderTest, type FleetUnderTest } from '../helpers/fleet-under-test';
import { parsePromText, sampleSum } from '../helpers/prometheus-text';
import { testServices } from '../helpers/test-services';

/**
 * Issue 16 row 1, replayed against a real producer, worker, clamd and Redis: a 5 MB
 * message of 100 parts, each named with 50 KB. Before, Redis held 16.8 MB for it for
 * the result TTL (the result and the aggregation parent job each carried every name).
 * Now names are cut (README "Limits") and the parent is removed once the result is
 * stored: what stays under the run's prefix, by Redis's own MEMORY USAGE, is at most
 * 2 × the request.
 */

const CONF = `
clamav {
  scan_mime_parts = true;
  show_attachments = true;
  symbol = "CLAM_VIRUS";
  action = "reject";
  servers = "\${CLAMD}";
  prefix = "\${PREFIX}rs_clamav_";
  timeout = 10s;
}
`;

const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

function longNamedMessage(tag = ''): Buffer {
  const parts = Array.from({ length: 100 }, (_, i) => [
    '--b1', 'Content-Type: application/octet-stream',
    `Content-Disposition: attachment; filename="${String(i).padStart(3, '0')}-${'n'.repeat(50_000)}.com"`, '',
    i === 0 ? EICAR : `harmless part ${i}${tag}`, '',
  ].join('\r\n'));
  const head = ['From: a@example.org', 'To: b@example.org', 'Subject: names', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b1"', '', ''];
  return Buffer.from([...head, ...parts, '--b1--', ''].join('\r\n'));
}

let fleet: FleetUnderTest;
let redis: IORedis;

beforeAll(async () => {
  fleet = await startFleetUnderTest({ testFile: __filename, conf: CONF });
  redis = new IORedis(testServices().redisUrl, { maxRetriesPerRequest: 1 });
}, 60_000);

afterAll(async () => {
  redis?.disconnect();
  await fleet?.close();
});

/** MEMORY USAGE summed over every key under `prefix`. */
async function bytesUnder(prefix: string): Promise<number> {
  let bytes = 0;
  for (const key of await keysUnder(prefix)) bytes += Number(await redis.memory('USAGE', key)) || 0;
  return bytes;
}

async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

test('100 parts named with 50 KB each: Redis keeps at most 2 × the request, the parent job is gone, the result is readable', async () => {
  const raw = longNamedMessage();
  expect(raw.length).toBeGreaterThan(5_000_000);
  const r = await fleet.scan(raw);
  expect(r.status).toBe(200);
  expect(r.body.action).toBe('reject');
  const id = String(r.body.id);
  const parts = r.body.parts as { filename: string }[];
  expect(parts).toHaveLength(100);
  for (const p of parts) expect(Buffer.byteLength(p.filename)).toBeLessThanOrEqual(MAX_NAME_BYTES);

  const prefix = `${fleet.settings.queuePrefix}:`;
  // The parent job is removed once the result is stored (its completion may trail the result by a moment).
  const parentKey = `${prefix}aggregate:${id}`;
  const deadline = Date.now() + 10_000;
  while ((await redis.exists(parentKey)) === 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(await redis.exists(parentKey)).toBe(0);

  const keys = await keysUnder(prefix);
  expect(keys).toContain(`${prefix}result:${id}`);
  let bytes = 0;
  for (const key of keys) bytes += Number(await redis.memory('USAGE', key)) || 0;
  expect(bytes).toBeLessThanOrEqual(2 * raw.length);
  console.log(`request ${raw.length} bytes; Redis under the run's prefix after the scan: ${bytes} bytes in ${keys.length} keys`);

  // The metric says the same (docs/metrics.md): this fleet's one scan, counted by the worker that stored its result.
  const scrape = parsePromText(await (await fetch(`${fleet.workerOpsUrl}/metrics`)).text());
  expect(sampleSum(scrape, 'avfleet_scan_redis_bytes_count')).toBe(1);
  const metricBytes = sampleSum(scrape, 'avfleet_scan_redis_bytes_sum');
  expect(metricBytes).toBeGreaterThan(0);
  expect(metricBytes).toBeLessThanOrEqual(2 * raw.length);

  // GET /scans/:id still answers from the stored result.
  const again = await fetch(`${fleet.producerUrl}/scans/${id}`);
  expect(again.status).toBe(200);
  expect(((await again.json()) as { id: string }).id).toBe(id);
}, 60_000);

test('while the scan of the same kind of message runs, Redis holds at most 2 × the request too', async () => {
  // Part contents of their own: no verdict is cached, every part is a job.
  const raw = longNamedMessage(` ${Date.now()}`);
  const prefix = `${fleet.settings.queuePrefix}:`;
  const before = await bytesUnder(prefix);
  const res = await fetch(`${fleet.producerUrl}/scans?wait=0`, { method: 'POST', body: raw });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  let peak = 0;
  let samples = 0;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const done = (await redis.exists(`${prefix}result:${id}`)) === 1 && (await redis.exists(`${prefix}aggregate:${id}`)) === 0;
    peak = Math.max(peak, (await bytesUnder(prefix)) - before);
    samples += 1;
    if (done) break;
  }
  console.log(`request ${raw.length} bytes; Redis under the run's prefix while it ran: at most ${peak} bytes more (${samples} samples)`);
  expect(samples).toBeGreaterThan(1);
  expect(peak).toBeLessThanOrEqual(2 * raw.length);
}, 60_000);
