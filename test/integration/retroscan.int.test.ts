import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import IORedis from 'ioredis';
import { RetroMemory, sigverKey, type Logger, type RetroDetection } from '@avfleet/core';
import { startWorker, type RunningWorker } from '@avfleet/worker';
import { loadAntivirusConfig } from '@avfleet/config';
import { messageWithAttachment } from '../helpers/attachment-message';
import { freePort } from '../helpers/fleet-processes';
import { startFleetUnderTest, scrape, type FleetUnderTest } from '../helpers/fleet-under-test';
import { parsePromText, sampleSum } from '../helpers/prometheus-text';
import { startClamd, type StartedClamd } from '../helpers/start-clamd';
import { testServices } from '../helpers/test-services';
import { waitUntil } from '../helpers/wait-until';
import { startSlowClamd, type SlowClamd } from '../simulators/slow-clamd';
import { startWebhookReceiver } from '../helpers/webhook-receiver';

/**
 * The retro-scan end to end (README "Retro-scan"), with real parts: a producer and a worker in
 * this process with AVFLEET_RETROSCAN=on. (1) A private clamd scans a message with an attachment
 * clean; an `.hdb` signature of the attachment's bytes is added to that clamd's database and
 * RELOADed; POST /retroscan finds the message (scan id and Queue-Id) within a minute, GET
 * /retro-detections lists it, the webhook receiver (a real HTTP server here, through the fleet's
 * own outbox) gets the signed event, it is logged at warn and counted, and the next submission of
 * the same attachment is rejected. (2) A simulated clamd whose VERSION changes (a
 * signature update) starts the retro-scan by itself, once for two workers.
 */

jest.setTimeout(240_000);

const ADMIN = 'retro-admin-secret';
const admin = { authorization: `Bearer ${ADMIN}` };
const CONF = `clamav {\n  symbol = "CLAM_VIRUS";\n  action = "reject";\n  scan_mime_parts = true;\n  servers = "\${CLAMD}";\n  timeout = 10;\n  prefix = "\${PREFIX}cache_";\n}\n`;
const ENV = { AVFLEET_RETROSCAN: 'on', AVFLEET_ADMIN_TOKEN: ADMIN, AVFLEET_RETROSCAN_RATE: '50' };
/** The bound from the trigger to the detection, with the 2x + 1 s margin of docs/testing.md. */
const DETECTION_BOUND_MS = 60_000;

let redis: IORedis;
const dirs: string[] = [];
const closers: (() => Promise<void>)[] = [];

beforeAll(() => {
  redis = new IORedis(testServices().redisUrl, { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  redis.disconnect();
});

/** A logger that keeps every line (object and message) for assertions. */
function recordingLogger(lines: Record<string, unknown>[]): Logger {
  const at = (level: string) => (obj: object | string, msg?: string): void => {
    lines.push(typeof obj === 'string' ? { level, msg: obj } : { level, ...obj, msg });
  };
  const logger: Logger = { debug: () => undefined, info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

/** POST /scans?wait=30 with the envelope headers /scans takes. */
async function submit(fleet: FleetUnderTest, raw: string, queueId: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${fleet.producerUrl}/scans?wait=30`, {
    method: 'POST', body: raw, headers: { 'queue-id': queueId, from: '<sender@example.org>', rcpt: '<victim@example.org>' },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

async function detections(fleet: FleetUnderTest): Promise<RetroDetection[]> {
  const res = await fetch(`${fleet.producerUrl}/retro-detections`, { headers: admin });
  expect(res.status).toBe(200);
  return ((await res.json()) as { detections: RetroDetection[] }).detections;
}

/** clamd's INSTREAM over TCP: its one reply line. */
function clamdScan(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('end', () => resolve(Buffer.concat(chunks).toString('latin1').replace(/\0$/, '')));
    sock.on('error', reject);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    sock.write(Buffer.concat([Buffer.from('zINSTREAM\0'), len, bytes, Buffer.alloc(4)]));
  });
}

function clamdCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    sock.on('error', reject);
    sock.write(`z${command}\0`);
  });
}

test('a real clamd: clean, then a signature is added and RELOADed; POST /retroscan reports the message, and the attachment is rejected from then on', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'avft-retroscan-'));
  dirs.push(dir);
  const clamdPort = await freePort();
  const clamd: StartedClamd = await startClamd({ dir: join(dir, 'clamd'), tcpPort: clamdPort });
  closers.push(() => clamd.stop());
  const workerLines: Record<string, unknown>[] = [];
  // The operator's webhook: the worker's own outbox (AVFLEET_WEBHOOK_URL) POSTs the detection to it.
  const secret = 'retro-webhook-secret';
  const receiver = await startWebhookReceiver({ secret });
  closers.push(() => receiver.close());
  const fleet = await startFleetUnderTest({
    testFile: __filename, conf: CONF, env: { ...ENV, AVFLEET_WEBHOOK_URL: receiver.url, AVFLEET_WEBHOOK_SECRET: secret },
    clamd: { host: '127.0.0.1', port: clamdPort }, workerLogger: recordingLogger(workerLines),
  });
  closers.push(() => fleet.close());

  const attachment = randomBytes(3000).toString('latin1');
  const bytes = Buffer.from(attachment, 'latin1');
  const digest = createHash('sha256').update(bytes).digest('hex');
  const first = await submit(fleet, messageWithAttachment(`retro-first-${Date.now()}`, attachment), 'RETROQ1');
  expect(first.action).toBe('no action');
  const scanId = first.id as string;
  // The aggregation remembers the clean part just after the result is stored.
  const memory = new RetroMemory(redis, fleet.settings.queuePrefix, fleet.settings.retroscan);
  await waitUntil(async () => (await memory.get('clamav', digest)) !== null, { timeoutMs: 10_000, failureMessage: () => 'the clean attachment was not remembered' });
  const remembered = await memory.get('clamav', digest);
  expect(remembered?.carriers).toEqual([expect.objectContaining({ scanId, queueId: 'RETROQ1', from: 'sender@example.org', recipients: ['victim@example.org'] })]);

  // The attachment's signature (md5:size:name) added to this clamd's database, then RELOAD.
  appendFileSync(join(dir, 'clamd', 'db', 'retro.hdb'), `${createHash('md5').update(bytes).digest('hex')}:${bytes.length}:Avfleet.Retro.Test\n`);
  expect(await clamdCommand(clamdPort, 'RELOAD')).toMatch(/RELOADING/);
  await waitUntil(async () => /Avfleet\.Retro\.Test(\.UNOFFICIAL)? FOUND/.test(await clamdScan(clamdPort, bytes)), {
    timeoutMs: 30_000, intervalMs: 250, failureMessage: () => 'clamd did not load the new signature after RELOAD',
  });

  // Without the retro-scan the cache still answers clean: the same attachment in a new message passes.
  const before = await submit(fleet, messageWithAttachment(`retro-before-${Date.now()}`, attachment), 'RETROQ2');
  expect(before.action).toBe('no action');

  const triggered = Date.now();
  const res = await fetch(`${fleet.producerUrl}/retroscan`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ rule: 'clamav' }) });
  expect(res.status).toBe(202);
  const run = (await res.json()) as { id: string; parts: number; rule: string };
  expect(run.rule).toBe('clamav');
  expect(run.parts).toBeGreaterThanOrEqual(1);

  let found: RetroDetection | undefined;
  await waitUntil(async () => {
    found = (await detections(fleet)).find((d) => d.digest === digest);
    return found !== undefined;
  }, { timeoutMs: DETECTION_BOUND_MS * 2 + 1000, intervalMs: 250, failureMessage: () => 'no retro detection listed at GET /retro-detections' });
  const elapsed = Date.now() - triggered;
  expect(elapsed).toBeLessThan(DETECTION_BOUND_MS);
  expect(found).toMatchObject({ type: 'retro_detection', rule: 'clamav', digest, carriersTruncated: false });
  expect(found?.viruses.join(' ')).toMatch(/Avfleet\.Retro\.Test/);
  // Both scans that carried it: the first (stored) and the one answered from the cache.
  expect(found?.carriers.map((c) => [c.scanId, c.queueId])).toEqual([[scanId, 'RETROQ1'], [before.id, 'RETROQ2']]);
  expect(found?.carriers[0]?.messageId).toMatch(/^<retro-first-\d+@avfleet\.test>$/);
  // The webhook: exactly one POST, signed with the secret, its body the detection as listed.
  await waitUntil(async () => receiver.received.length > 0, { timeoutMs: DETECTION_BOUND_MS * 2 + 1000, intervalMs: 100, failureMessage: () => 'the webhook receiver got nothing' });
  expect(Date.now() - triggered).toBeLessThan(DETECTION_BOUND_MS);
  await new Promise((r) => setTimeout(r, 500));
  expect(receiver.received).toHaveLength(1);
  expect(receiver.received[0]?.verdict).toBe('valid');
  expect(JSON.parse(receiver.received[0]?.body.toString('utf8') ?? '')).toEqual(found);
  expect(workerLines.filter((l) => l.code === 'AVF_WARN_RETRO_DETECTION' && l.level === 'warn')).toHaveLength(1);
  expect(sampleSum(parsePromText(await scrape(`${fleet.workerOpsUrl}/metrics`)), 'avfleet_retro_detections_total', { rule: 'clamav' })).toBe(1);

  // The cache entry was replaced: the next message with the attachment is rejected.
  const after = await submit(fleet, messageWithAttachment(`retro-after-${Date.now()}`, attachment), 'RETROQ3');
  expect(after.action).toBe('reject');
  // The admin token guards the routes.
  expect((await fetch(`${fleet.producerUrl}/retro-detections`)).status).toBe(401);
  expect((await fetch(`${fleet.producerUrl}/retroscan`, { method: 'POST', headers: { authorization: 'Bearer wrong' }, body: '{}' })).status).toBe(403);
  const bad = await fetch(`${fleet.producerUrl}/retroscan`, { method: 'POST', headers: admin, body: JSON.stringify({ rule: 'nope' }) });
  expect(bad.status).toBe(400);
});

test('a simulated clamd whose version changes starts the retro-scan by itself, once for two workers', async () => {
  const sim: SlowClamd = await startSlowClamd();
  closers.push(() => sim.close());
  const announced: RetroDetection[] = [];
  const fast = { announce: async (d: RetroDetection) => { announced.push(d); }, signatureVersionIntervalMs: 500 };
  const fleet = await startFleetUnderTest({ testFile: `${__filename}-auto`, conf: CONF, env: ENV, clamd: { host: sim.host, port: sim.port }, worker: fast });
  closers.push(() => fleet.close());
  // A second worker of the same fleet: both see the version change, one retro-scan starts.
  const confDir = mkdtempSync(join(tmpdir(), 'avft-retroscan-conf-'));
  dirs.push(confDir);
  const confPath = join(confDir, 'antivirus.conf');
  writeFileSync(confPath, CONF.replaceAll('${CLAMD}', `${sim.host}:${sim.port}`).replaceAll('${PREFIX}', `${fleet.settings.queuePrefix}:`));
  const second: RunningWorker = await startWorker({ settings: fleet.settings, config: loadAntivirusConfig(confPath), logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child() { return this; } }, ...fast });
  closers.push(() => second.close());

  const attachment = randomBytes(2000).toString('latin1');
  const bytes = Buffer.from(attachment, 'latin1');
  const digest = createHash('sha256').update(bytes).digest('hex');
  const first = await submit(fleet, messageWithAttachment(`retro-auto-${Date.now()}`, attachment), 'AUTOQ1');
  expect(first.action).toBe('no action');
  const memory = new RetroMemory(redis, fleet.settings.queuePrefix, fleet.settings.retroscan);
  await waitUntil(async () => (await memory.get('clamav', digest)) !== null, { timeoutMs: 10_000, failureMessage: () => 'the clean attachment was not remembered' });
  const key = sigverKey(fleet.settings.queuePrefix, 'clamav');
  await waitUntil(async () => (await redis.get(key)) === '27000', { timeoutMs: 10_000, failureMessage: () => 'the workers did not publish the simulator\'s version' });

  // A signature update: the database gains the attachment's signature and VERSION says so.
  sim.addSignature(bytes, 'Sim.Retro.Update');
  sim.setVersion('ClamAV 1.0.0/27001/Tue Jan  2 00:00:00 2024');
  // The workers' scanners keep VERSION up to 60 s (clamav-client versionCacheSec): the trigger is when the new version is published.
  await waitUntil(async () => (await redis.get(key)) === '27001', { timeoutMs: 2 * 61_000 + 1000, intervalMs: 100, failureMessage: () => 'the new version was never published' });
  const triggered = Date.now();
  await waitUntil(async () => (await detections(fleet)).some((d) => d.digest === digest), {
    timeoutMs: DETECTION_BOUND_MS * 2 + 1000, intervalMs: 250, failureMessage: () => 'no retro detection after the version change',
  });
  expect(Date.now() - triggered).toBeLessThan(DETECTION_BOUND_MS);
  const [d] = (await detections(fleet)).filter((x) => x.digest === digest);
  expect(d).toMatchObject({ viruses: ['Sim.Retro.Update'], signatureVersion: '27001' });
  expect(d?.carriers.map((c) => [c.scanId, c.queueId])).toEqual([[first.id, 'AUTOQ1']]);
  expect(announced).toHaveLength(1);
  // Let the second worker's cached version catch up (it may publish the old one once more: no second run for it).
  await new Promise((r) => setTimeout(r, 2000));
  const startedBy = async (url: string): Promise<number> => sampleSum(parsePromText(await scrape(`${url}/metrics`)), 'avfleet_retro_scans_total', { rule: 'clamav', trigger: 'version' });
  const started = (await startedBy(fleet.workerOpsUrl)) + (await startedBy(`http://127.0.0.1:${second.opsAddress?.port}`));
  const runs = await redis.keys(`${fleet.settings.queuePrefix}:{retro}:version:clamav:*`);
  expect(runs.sort()).toEqual([`${fleet.settings.queuePrefix}:{retro}:version:clamav:27000`, `${fleet.settings.queuePrefix}:{retro}:version:clamav:27001`]);
  await expect(redis.get(`${fleet.settings.queuePrefix}:{retro}:version:clamav:27001`)).resolves.toBe('started');
  expect(started).toBe(1);
});
