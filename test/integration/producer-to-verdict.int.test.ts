import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'minio';
import { EICAR_TEST_STRING, createObjectStore, messageKey, type ObjectStore, type ScanResult } from '@avfleet/core';
import { renderTestConfig, startFleet, type Fleet } from '../helpers/fleet-processes';
import { cleanupPrefix, testPrefix, teardownThenDisconnect } from '../helpers/redis-prefix';
import { testServices } from '../helpers/test-services';
import { waitUntil } from '../helpers/wait-until';

/**
 * The fleet end to end with real parts: `avfleet producer` and `avfleet worker` as
 * separate processes, Redis, clamd, a folder store and an S3 store (s3rver).
 * Each fleet gets its own queue prefix and cache prefix; everything is removed afterwards.
 */

jest.setTimeout(120000);

const services = testServices();
const clamd = `${services.clamd.host}:${services.clamd.port}`;
const EICAR_NAME = 'Eicar-Test-Signature.UNOFFICIAL';

const redis = new Redis(services.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
const prefixes: string[] = [];
const fleets: Fleet[] = [];
const cleanupDirs: string[] = [];

interface FleetUnderTest {
  fleet: Fleet;
  prefix: string;
}

async function launch(template: string, label: string, storeEnv: Record<string, string>): Promise<FleetUnderTest> {
  const prefix = testPrefix(`producer-to-verdict-${label}`);
  prefixes.push(prefix);
  const configPath = renderTestConfig(template, { CLAMD: clamd, PREFIX: `${prefix}cache_` });
  cleanupDirs.push(dirname(configPath));
  const fleet = await startFleet({
    configPath,
    env: { AVFLEET_QUEUE_PREFIX: prefix.slice(0, -1), AVFLEET_REDIS_URL: services.redisUrl, AVFLEET_CONCURRENCY: '4', ...storeEnv },
  });
  fleets.push(fleet);
  return { fleet, prefix };
}

function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `avft-${label}-`));
  cleanupDirs.push(dir);
  return dir;
}

/** A multipart message with one attachment; `tag` makes each message unique. */
function messageWith(filename: string, content: Buffer, tag: string): Buffer {
  const boundary = `b-${tag}`;
  const lines = [
    'From: sender@example.org',
    'To: rcpt@example.org',
    `Subject: fleet test ${tag}`,
    `Message-ID: <${tag}@avfleet.test>`,
    'Date: Mon, 01 Jan 2024 10:00:00 +0000',
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Hello, see the attachment (${tag}).`,
    `--${boundary}`,
    `Content-Type: application/octet-stream; name="${filename}"`,
    `Content-Disposition: attachment; filename="${filename}"`,
    'Content-Transfer-Encoding: base64',
    '',
    ...(content.toString('base64').match(/.{1,76}/g) ?? []),
    `--${boundary}--`,
    '',
  ];
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

const eicar = Buffer.from(EICAR_TEST_STRING, 'latin1');
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const uniqueTag = (): string => `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;

async function post(fleet: Fleet, body: Buffer, query = ''): Promise<{ status: number; json: unknown; location: string | null }> {
  const res = await fetch(`${fleet.apiUrl}/scans${query}`, { method: 'POST', body, headers: { 'content-type': 'message/rfc822' } });
  return { status: res.status, json: await res.json(), location: res.headers.get('location') };
}

/** POST and expect a finished result (200); fails with both processes' logs otherwise. */
async function scan(fleet: Fleet, body: Buffer): Promise<ScanResult> {
  const r = await post(fleet, body, '?wait=30');
  if (r.status !== 200) throw new Error(`expected 200, got ${r.status} ${JSON.stringify(r.json)}\n${fleet.logs()}`);
  return r.json as ScanResult;
}

/** The store keys a message may have been written under (the UTC day may turn during the test). */
function candidateMessageKeys(id: string, from: Date, to: Date): string[] {
  return [...new Set([messageKey(id, from), messageKey(id, to)])];
}

async function messageStored(store: ObjectStore, id: string, from: Date, to: Date): Promise<Buffer> {
  for (const key of candidateMessageKeys(id, from, to)) {
    if (await store.exists(key)) return store.get(key);
  }
  throw new Error(`no stored message for scan ${id} under ${candidateMessageKeys(id, from, to).join(' or ')}`);
}

/** Files on disk in the folder store named `<sha>` (the store fans parts out by digest prefix). */
function partFilesOnDisk(storeDir: string, sha: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name === sha) found.push(join(dir, e.name));
    }
  };
  if (existsSync(join(storeDir, 'parts'))) walk(join(storeDir, 'parts'));
  return found;
}

afterAll(() =>
  teardownThenDisconnect(redis, async () => {
    await Promise.allSettled(fleets.map((f) => f.stop()));
    for (const p of prefixes) await cleanupPrefix(redis, p);
    for (const d of cleanupDirs) rmSync(d, { recursive: true, force: true });
  }),
);

describe('producer and worker as separate processes, folder store, part mode', () => {
  let fut: FleetUnderTest;
  let storeDir: string;
  let store: ObjectStore;
  const tag = uniqueTag();

  beforeAll(async () => {
    storeDir = tempDir('store');
    store = createObjectStore({ kind: 'folder', dir: storeDir });
    fut = await launch('reference-clamav.conf', 'folder', { AVFLEET_STORE: storeDir });
  });

  it('rejects an EICAR attachment with the rule symbol, option, message and per-part verdicts; stores the message once, the part is read from it (D59)', async () => {
    const raw = messageWith('eicar.com', eicar, `${tag}-eicar1`);
    const before = new Date();
    const r = await scan(fut.fleet, raw);
    const after = new Date();

    expect(r.state).toBe('done');
    expect(r.action).toBe('reject');
    expect(r.symbols).toEqual({ CLAM_VIRUS: expect.objectContaining({ name: 'CLAM_VIRUS', options: [EICAR_NAME] }) });
    expect(r.message).toBe(`clamav: virus found: "${EICAR_NAME}"`);
    const infected = r.parts.filter((p) => p.verdicts.clamav?.kind === 'virus');
    expect(infected).toHaveLength(1);
    expect(infected[0]).toMatchObject({ filename: 'eicar.com', size: 68, sha256: sha256(eicar) });
    expect(infected[0].verdicts.clamav).toMatchObject({ kind: 'virus', names: [EICAR_NAME], cached: false });
    // the text body is not an attachment and is not scanned (scan_text_mime = false)
    expect(r.parts.every((p) => p.filename === 'eicar.com' || Object.keys(p.verdicts).length === 0)).toBe(true);

    expect((await messageStored(store, r.id, before, after)).equals(raw)).toBe(true);
    // the folder store keeps the key as the path: <store>/messages/YYYY/MM/DD/<id>.eml
    expect(candidateMessageKeys(r.id, before, after).some((k) => existsSync(join(storeDir, k)))).toBe(true);
    // the worker read the attachment as a range of the stored message: no part of its own
    expect(await store.exists(`parts/${sha256(eicar)}`)).toBe(false);
    expect(partFilesOnDisk(storeDir, sha256(eicar))).toHaveLength(0);
  });

  it('serves the same attachment in another message from the verdict cache, storing neither the message (D56) nor the part (D59)', async () => {
    const before = new Date();
    const r = await scan(fut.fleet, messageWith('again.com', eicar, `${tag}-eicar2`));
    const after = new Date();
    expect(r.action).toBe('reject');
    // answered from the cache without a flow: nothing would ever read the raw message
    for (const key of candidateMessageKeys(r.id, before, after)) expect(await store.exists(key)).toBe(false);
    const part = r.parts.find((p) => p.filename === 'again.com');
    expect(part?.verdicts.clamav).toMatchObject({ kind: 'virus', names: [EICAR_NAME], cached: true });
    expect(r.symbols.CLAM_VIRUS?.options).toEqual([EICAR_NAME]);
    expect(partFilesOnDisk(storeDir, sha256(eicar))).toHaveLength(0);
    const [, cacheKeys] = await redis.scan('0', 'MATCH', `${fut.prefix}cache_*:${sha256(eicar)}`, 'COUNT', 10000);
    expect(cacheKeys).toHaveLength(1);
  });

  it('gives no action and no symbol for a clean attachment', async () => {
    const clean = Buffer.from(`just some harmless bytes ${tag}\n`.repeat(20));
    const r = await scan(fut.fleet, messageWith('notes.bin', clean, `${tag}-clean`));
    expect(r.action).toBe('no action');
    expect(r.symbols).toEqual({});
    expect(r.message).toBeNull();
    expect(r.parts.find((p) => p.filename === 'notes.bin')?.verdicts.clamav).toMatchObject({ kind: 'clean', cached: false });
  });

  it('answers wait=0 with 202 and a Location, and GET /scans/:id becomes done', async () => {
    const raw = messageWith('later.com', eicar, `${tag}-async`);
    const r = await post(fut.fleet, raw, '?wait=0');
    expect(r.status).toBe(202);
    const { id, state } = r.json as { id: string; state: string };
    expect(state).toBe('queued');
    expect(r.location).toBe(`/scans/${id}`);
    let last: ScanResult | undefined;
    await waitUntil(
      async () => {
        const res = await fetch(`${fut.fleet.apiUrl}${r.location}`);
        if (res.status !== 200) return false;
        last = (await res.json()) as ScanResult;
        return last.state === 'done';
      },
      { timeoutMs: 30000, intervalMs: 100, failureMessage: () => `scan ${id} not done within 30 s: ${JSON.stringify(last)}\n${fut.fleet.logs()}` },
    );
    expect(last).toMatchObject({ id, state: 'done', action: 'reject' });
    expect(last?.symbols.CLAM_VIRUS?.options).toEqual([EICAR_NAME]);
  });

  it('answers 404 for an unknown scan id', async () => {
    const res = await fetch(`${fut.fleet.apiUrl}/scans/01J0000000000000000000000Z`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: expect.stringMatching(/^AVF_ERR_/), message: expect.any(String) } });
  });

  it('the worker process serves /metrics on its own listener', async () => {
    const res = await fetch(`${fut.fleet.worker.baseUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^# (HELP|TYPE) /m);
  });

  it('both processes stop cleanly on SIGTERM (exit status 0)', async () => {
    const started = Date.now();
    await fut.fleet.stop();
    expect(Date.now() - started).toBeLessThan(10000); // the helper would SIGKILL after 10 s
    expect(fut.fleet.worker.exitStatus()).toBe('exit code 0');
    expect(fut.fleet.producer.exitStatus()).toBe('exit code 0');
  });
});

describe('whole-message mode (scan_mime_parts = false)', () => {
  let fut: FleetUnderTest;

  beforeAll(async () => {
    fut = await launch('whole-message-clamav.conf', 'whole', { AVFLEET_STORE: tempDir('store-whole') });
  });

  it('scans the raw message once and reports message_verdicts', async () => {
    const r = await scan(fut.fleet, messageWith('eicar.com', eicar, `${uniqueTag()}-whole`));
    expect(r.action).toBe('reject');
    expect(r.symbols.CLAM_VIRUS?.options).toEqual([EICAR_NAME]);
    expect(r.message).toBe(`clamav: virus found: "${EICAR_NAME}"`);
    expect(r.message_verdicts?.clamav).toMatchObject({ kind: 'virus', names: [EICAR_NAME], cached: false });
    expect(r.parts.every((p) => Object.keys(p.verdicts).length === 0)).toBe(true);
  });

  it('leaves a clean message alone', async () => {
    const r = await scan(fut.fleet, messageWith('notes.bin', Buffer.from(`harmless ${uniqueTag()}`), uniqueTag()));
    expect(r.action).toBe('no action');
    expect(r.symbols).toEqual({});
    expect(r.message_verdicts?.clamav).toMatchObject({ kind: 'clean' });
  });
});

describe('S3 store (s3rver)', () => {
  const endpoint = new URL(services.s3Endpoint);
  const admin = new Client({ endPoint: endpoint.hostname, port: Number(endpoint.port), useSSL: false, accessKey: 'S3RVER', secretKey: 'S3RVER' });
  const bucket = `avft-fleet-${process.pid}-${randomBytes(3).toString('hex')}`;
  let fut: FleetUnderTest;
  let store: ObjectStore;

  beforeAll(async () => {
    const s3Env = { AVFLEET_S3_ENDPOINT: services.s3Endpoint, AVFLEET_S3_ACCESS_KEY: 'S3RVER', AVFLEET_S3_SECRET_KEY: 'S3RVER' };
    store = createObjectStore({ kind: 's3', bucket, endpoint: services.s3Endpoint, accessKey: 'S3RVER', secretKey: 'S3RVER' });
    fut = await launch('reference-clamav.conf', 's3', { AVFLEET_STORE: `s3://${bucket}`, ...s3Env });
  });

  afterAll(async () => {
    if (!(await admin.bucketExists(bucket).catch(() => false))) return;
    const names: string[] = [];
    for await (const item of admin.listObjectsV2(bucket, '', true)) if (item.name) names.push(item.name);
    // one by one: s3rver answers 500 to the multi-object DeleteObjects call
    for (const name of names) await admin.removeObject(bucket, name);
    await admin.removeBucket(bucket);
  });

  it('scans through the S3 store: the message is in the bucket, the part is read from it with a ranged GET (D59)', async () => {
    const content = Buffer.concat([eicar, Buffer.from(`\n${uniqueTag()}`)]); // EICAR followed by other bytes: a new digest
    const raw = messageWith('eicar-s3.com', content, `${uniqueTag()}-s3`);
    const before = new Date();
    const r = await scan(fut.fleet, raw);
    const after = new Date();
    expect(r.action).toBe('reject');
    expect(r.symbols.CLAM_VIRUS?.options).toEqual([EICAR_NAME]);
    const part = r.parts.find((p) => p.filename === 'eicar-s3.com');
    expect(part?.sha256).toBe(sha256(content));
    expect(part?.verdicts.clamav).toMatchObject({ kind: 'virus', cached: false });
    expect((await messageStored(store, r.id, before, after)).equals(raw)).toBe(true);
    expect(await store.exists(`parts/${sha256(content)}`)).toBe(false);
  });
});
