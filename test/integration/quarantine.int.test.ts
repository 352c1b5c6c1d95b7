import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { EICAR_TEST_STRING, createObjectStore, quarantineKeys, type FolderObjectStore, type QuarantineEntry, type ScanResult } from '@avfleet/core';
import { childEnv, requireBuiltCli, type Fleet } from '../helpers/fleet-processes';
import {
  QUARANTINE_ADMIN_TOKEN as ADMIN, QUARANTINE_ENVELOPE as ENVELOPE, quarantineApi as api, quarantineFleets, quarantineMessage as messageWith, quarantineScan as scan, startSmtpSink as startSink,
} from '../helpers/quarantine-fleet';
import { teardownThenDisconnect } from '../helpers/redis-prefix';
import { testServices } from '../helpers/test-services';
import { waitUntil } from '../helpers/wait-until';

/**
 * The quarantine end to end (README "Quarantine"): `avfleet producer` and `avfleet worker` as
 * processes against the test clamd, Redis and a folder store; releases go over real SMTP to a
 * recording smtp-server sink (the SMTP server of nodemailer's authors) on a free port
 * (test/helpers/quarantine-fleet.ts). quarantine-release-postfix.int.test.ts releases through a real Postfix.
 */

jest.setTimeout(120_000);

const services = testServices();
const redis = new Redis(services.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
const fleets = quarantineFleets(__filename);
const dirs: string[] = [];
const eicar = Buffer.from(EICAR_TEST_STRING, 'latin1');
const launch = fleets.launch;

const uniqueTag = (): string => `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;

afterAll(() =>
  teardownThenDisconnect(redis, async () => {
    await fleets.cleanup(redis);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }),
);

describe('quarantine with release (AVFLEET_QUARANTINE=reject, an admin token, a release relay)', () => {
  let fleet: Fleet;
  let storeDir: string;
  let sink: Awaited<ReturnType<typeof startSink>>;
  const tag = uniqueTag();
  const first = messageWith(eicar, `${tag}-1`);
  const second = messageWith(eicar, `${tag}-2`);
  let scanned: ScanResult;
  let cached: ScanResult;

  beforeAll(async () => {
    sink = await startSink();
    ({ fleet, storeDir } = await launch('main', { AVFLEET_ADMIN_TOKEN: ADMIN, AVFLEET_RELEASE_SMTP: `127.0.0.1:${sink.port}` }));
  });
  afterAll(async () => sink.close());

  it('lists a rejected EICAR message with its metadata; its raw bytes are what was sent', async () => {
    scanned = await scan(fleet, first, `Q${tag}1`);
    expect(scanned.action).toBe('reject');
    // A scan with jobs is kept by the worker right after its result is published: listed moments after the verdict.
    let entries: QuarantineEntry[] = [];
    await waitUntil(async () => {
      const list = await api(fleet, 'GET', '/quarantine');
      entries = (list.json as { entries: QuarantineEntry[] }).entries;
      return list.status === 200 && entries.length > 0;
    }, { timeoutMs: 5000, failureMessage: () => `nothing listed\n${fleet.logs()}` });
    expect(entries.map((e) => e.id)).toEqual([scanned.id]);
    expect(entries[0]).toEqual({
      id: scanned.id, quarantined_at: expect.any(String), received_at: expect.any(String), queue_id: `Q${tag}1`,
      from: 'bounce@example.org', rcpt: ENVELOPE.rcpt, subject: `quarantine test ${tag}-1`, size: first.length,
      action: 'reject', score: scanned.score, symbols: [{ name: 'CLAM_VIRUS', options: ['Eicar-Test-Signature.UNOFFICIAL'] }], released: null,
    });
    const shown = await api(fleet, 'GET', `/quarantine/${scanned.id}`);
    expect(shown.json).toEqual(entries[0]);
    const raw = await api(fleet, 'GET', `/quarantine/${scanned.id}/raw`);
    expect(raw.status).toBe(200);
    expect(raw.type).toBe('message/rfc822');
    expect(raw.body.equals(first)).toBe(true);
  });

  it('keeps a reject answered from the verdict cache without a flow, raw bytes included', async () => {
    cached = await scan(fleet, second, `Q${tag}2`);
    expect(cached.action).toBe('reject');
    expect(cached.parts.find((p) => p.filename === 'a.com')?.verdicts.clamav).toMatchObject({ kind: 'virus', cached: true });
    const list = await api(fleet, 'GET', '/quarantine?limit=1');
    const page = list.json as { entries: QuarantineEntry[]; next_cursor: string | null };
    expect(page.entries.map((e) => e.id)).toEqual([cached.id]); // newest first
    expect(page.next_cursor).not.toBeNull();
    const next = (await api(fleet, 'GET', `/quarantine?limit=1&cursor=${encodeURIComponent(page.next_cursor as string)}`)).json as { entries: QuarantineEntry[] };
    expect(next.entries.map((e) => e.id)).toEqual([scanned.id]);
    expect((await api(fleet, 'GET', `/quarantine/${cached.id}/raw`)).body.equals(second)).toBe(true);
    const bySymbol = (await api(fleet, 'GET', '/quarantine?symbol=CLAM_VIRUS&rcpt=TWO%40example.net')).json as { entries: QuarantineEntry[] };
    expect(bySymbol.entries.map((e) => e.id)).toEqual([cached.id, scanned.id]);
    expect(((await api(fleet, 'GET', '/quarantine?rcpt=nobody%40example.net')).json as { entries: unknown[] }).entries).toEqual([]);
  });

  it('avfleet quarantine list and raw read the same through the producer', async () => {
    const cli = (...args: string[]) => promisify(execFile)(process.execPath, [requireBuiltCli(), 'quarantine', ...args, '--url', fleet.apiUrl], { env: childEnv({ AVFLEET_ADMIN_TOKEN: ADMIN }) });
    const listed = JSON.parse((await cli('list', '--limit', '5')).stdout) as { entries: QuarantineEntry[] };
    expect(listed.entries.map((e) => e.id)).toEqual([cached.id, scanned.id]);
    const outDir = mkdtempSync(join(tmpdir(), 'avft-quarantine-cli-'));
    dirs.push(outDir);
    const out = join(outDir, 'raw.eml');
    await cli('raw', scanned.id, '--out', out);
    expect(readFileSync(out).equals(first)).toBe(true);
    await expect(cli('show', 'NO-SUCH-ID')).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('AVF_ERR_QUARANTINE_NOT_FOUND') });
  });

  it('answers 401 without the admin token and 403 with a wrong one', async () => {
    expect((await api(fleet, 'GET', '/quarantine', {})).status).toBe(401);
    const wrong = await api(fleet, 'GET', `/quarantine/${scanned.id}/raw`, { authorization: 'Bearer not-the-token' });
    expect(wrong.status).toBe(403);
    expect(wrong.json).toMatchObject({ error: { code: 'AVF_ERR_FORBIDDEN' } });
  });

  it('release re-delivers over SMTP with the original envelope and X-Avfleet-Released, and keeps the entry', async () => {
    const r = await api(fleet, 'POST', `/quarantine/${scanned.id}/release`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ id: scanned.id, accepted: ENVELOPE.rcpt, released: { by: expect.stringMatching(/^admin:[0-9a-f]{12}$/) } });
    await waitUntil(async () => sink.mail.length === 1, { timeoutMs: 5000, failureMessage: () => `the sink got ${sink.mail.length} messages\n${fleet.logs()}` });
    const got = sink.mail[0]!;
    expect(got.from).toBe('bounce@example.org');
    expect(got.to).toEqual(ENVELOPE.rcpt);
    const text = got.raw.toString('latin1');
    expect(text).toMatch(new RegExp(`^X-Avfleet-Released: \\S+ by admin:[0-9a-f]{12}; scan ${scanned.id}\\r\\n`));
    const body = got.raw.subarray(got.raw.indexOf('\r\n') + 2);
    expect(body.equals(first)).toBe(true);
    expect(((await api(fleet, 'GET', `/quarantine/${scanned.id}`)).json as QuarantineEntry).released).toMatchObject({ relay: `127.0.0.1:${sink.port}` });
    const metrics = await (await fetch(`${fleet.apiUrl}/metrics`)).text();
    expect(metrics).toMatch(/^avfleet_quarantine_releases_total\{outcome="delivered"\} 1$/m);
    expect(metrics).toMatch(/^avfleet_quarantine_writes_total\{outcome="kept"\} 1$/m); // the cache-answered one; the worker kept the other
    expect(fleet.producer.logs()).toContain('quarantined message released');
    expect(fleet.producer.logs()).not.toContain(ADMIN);
  });

  it('the store\'s prune leaves quarantine entries (messages/ go)', async () => {
    const store = createObjectStore({ kind: 'folder', dir: storeDir }) as FolderObjectStore;
    const report = await store.prune({ cutoff: new Date(Date.now() + 60_000) });
    expect(report.messages).toBeGreaterThan(0); // the scanned message's own copy goes (its part is read from it: D59)
    expect(existsSync(join(storeDir, 'quarantine', `${scanned.id}.eml`))).toBe(true);
    expect((await api(fleet, 'GET', `/quarantine/${cached.id}/raw`)).body.equals(second)).toBe(true);
  });

  it('delete removes the entry and its bytes, logged with who', async () => {
    const r = await api(fleet, 'DELETE', `/quarantine/${cached.id}`);
    expect(r.status).toBe(200);
    expect((await api(fleet, 'GET', `/quarantine/${cached.id}`)).json).toMatchObject({ error: { code: 'AVF_ERR_QUARANTINE_NOT_FOUND' } });
    expect(existsSync(join(storeDir, 'quarantine', `${cached.id}.eml`))).toBe(false);
    expect((await api(fleet, 'DELETE', `/quarantine/${cached.id}`)).status).toBe(404);
    await waitUntil(async () => fleet.producer.logs().includes('quarantined message deleted'), { timeoutMs: 3000, failureMessage: () => `no delete log line\n${fleet.logs()}` });
  });

  it('a release while the relay is down is a clear 502, and the entry stays', async () => {
    await sink.close();
    const r = await api(fleet, 'POST', `/quarantine/${scanned.id}/release`);
    expect(r.status).toBe(502);
    expect(r.json).toMatchObject({ error: { code: 'AVF_ERR_RELEASE_FAILED', message: expect.stringContaining('entry is kept') } });
    expect((await api(fleet, 'GET', `/quarantine/${scanned.id}`)).status).toBe(200);
  });
});

describe('quarantine without an admin token, with a short retention', () => {
  it('its routes answer 404; an entry is written and removed when it expires', async () => {
    const retentionDays = 3 / 86_400; // 3 s; the workers look every second
    const { fleet, prefix, storeDir } = await launch('expiry', { AVFLEET_QUARANTINE_DAYS: String(retentionDays) });
    const r = await scan(fleet, messageWith(eicar, `${uniqueTag()}-x`), 'QX');
    expect(r.action).toBe('reject');
    for (const path of ['/quarantine', `/quarantine/${r.id}`, `/quarantine/${r.id}/raw`]) {
      const res = await api(fleet, 'GET', path, { authorization: 'Bearer anything' });
      expect(res.status).toBe(404);
      expect(res.json).toMatchObject({ error: { code: 'AVF_ERR_NOT_FOUND' } });
    }
    const file = join(storeDir, 'quarantine', `${r.id}.eml`);
    const keys = quarantineKeys(prefix.slice(0, -1));
    await waitUntil(async () => existsSync(file) && (await redis.hexists(keys.entries, r.id)) === 1, { timeoutMs: 2000, failureMessage: () => `not quarantined\n${fleet.logs()}` });
    // 3 s retention + 1 s interval, doubled, + 1 s
    await waitUntil(async () => !existsSync(file) && (await redis.hexists(keys.entries, r.id)) === 0, { timeoutMs: 9000, failureMessage: () => `the expired entry is still there\n${fleet.logs()}` });
    expect(await redis.zcard(keys.order)).toBe(0);
    expect(Number(await redis.get(keys.bytes))).toBe(0);
  });
});
