import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import IORedis from 'ioredis';
import { EICAR_TEST_STRING, MAX_NAME_BYTES, type ScanResult } from '@avfleet/core';
import { declaredPost, holdOpen, metricValue, percentile, RssSampler, upload, type HeldConnection, type Upload } from '../helpers/hostile-clients';
import { freePort, startFleet, type Fleet } from '../helpers/fleet-processes';
import { cleanupPrefix, testPrefix, teardownThenDisconnect } from '../helpers/redis-prefix';
import { testServices } from '../helpers/test-services';
import { waitUntil } from '../helpers/wait-until';

/**
 * Issue 16, Deliver 6: a bounded soak of hostile clients beside normal traffic. A producer (HTTP,
 * milter and clamd front ends) and a worker, with the real clamd. A normal client sends clean and
 * EICAR messages one after the other, first alone (the baseline), then for HOSTILE_MS while
 * hostile clients run: slow uploads, bodies declared and never sent, messages of parts with
 * 50 KB names, tiny and huge Deadlines, and slowloris connections on the milter and clamd ports.
 * Every normal answer must be right, the normal client's p95 latency within 3 × the baseline's
 * + 1 s, and the producer's RSS within a few times its in-flight budget of the baseline's.
 */

jest.setTimeout(180_000);

const MiB = 1024 * 1024;
const INFLIGHT = 64 * MiB;
const BASELINE_ROUNDS = 30;
const HOSTILE_MS = 20_000;
/** Connections held open: 40 bodies declared and never sent, 20 milter and 20 clamd slowloris. */
const HELD = 80;
const EICAR_NAME = 'Eicar-Test-Signature.UNOFFICIAL';
const services = testServices();
const redis = new IORedis(services.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
const prefix = testPrefix('hostile-soak.int.test.ts');
let dir: string;
let fleet: Fleet;
let api: string;
let apiPort: number;
let milterPort: number;
let clamdPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'avft-soak-'));
  const configPath = join(dir, 'antivirus.conf');
  writeFileSync(configPath, `clamav {
  scan_mime_parts = true;
  symbol = "CLAM_VIRUS";
  action = "reject";
  fail_action = "soft reject";
  message = '\${SCANNER}: virus found: "\${VIRUS}"';
  servers = "${services.clamd.host}:${services.clamd.port}";
  timeout = 20;
  prefix = "${prefix}cache_";
}
`);
  [milterPort, clamdPort] = [await freePort(), await freePort()];
  fleet = await startFleet({
    configPath,
    env: {
      AVFLEET_QUEUE_PREFIX: prefix.slice(0, -1), AVFLEET_REDIS_URL: services.redisUrl, AVFLEET_STORE: join(dir, 'store'),
      AVFLEET_MAX_INFLIGHT_BYTES: String(INFLIGHT), AVFLEET_CONCURRENCY: '8',
    },
    producerArgs: ['--milter-listen', `127.0.0.1:${milterPort}`, '--clamd-listen', `127.0.0.1:${clamdPort}`],
  });
  api = fleet.apiUrl;
  apiPort = Number(new URL(api).port);
});

afterAll(() =>
  teardownThenDisconnect(redis, async () => {
    await fleet?.stop();
    await cleanupPrefix(redis, prefix);
    rmSync(dir, { recursive: true, force: true });
  }),
);

/** A message with one attachment of its own bytes (never answered from the cache): clean, or EICAR followed by a tag. */
function normalMessage(infected: boolean): Buffer {
  const tag = randomBytes(8).toString('hex');
  const content = Buffer.from(infected ? `${EICAR_TEST_STRING}\n${tag}\n` : `quarterly figures ${tag}\n`, 'latin1');
  return Buffer.from(
    `From: a@example.org\r\nTo: b@example.org\r\nSubject: normal ${tag}\r\nMessage-ID: <${tag}@avfleet.test>\r\nMIME-Version: 1.0\r\n` +
      `Content-Type: multipart/mixed; boundary="b${tag}"\r\n\r\n--b${tag}\r\nContent-Type: text/plain\r\n\r\nhello\r\n` +
      `--b${tag}\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="${infected ? 'eicar.com' : 'figures.txt'}"\r\n` +
      `Content-Transfer-Encoding: base64\r\n\r\n${content.toString('base64')}\r\n--b${tag}--\r\n`,
    'latin1',
  );
}

interface Round {
  readonly ms: number;
  /** null when the answer was right, else what was wrong. */
  readonly wrong: string | null;
}

/** One request of the normal client: clean or EICAR, and whether the answer is the right one. */
async function normalRound(infected: boolean): Promise<Round> {
  const started = performance.now();
  try {
    const res = await fetch(`${api}/scans?wait=30`, { method: 'POST', body: normalMessage(infected), signal: AbortSignal.timeout(60_000) });
    const body = (await res.json()) as ScanResult;
    const ms = performance.now() - started;
    const right = res.status === 200 && (infected
      ? body.action === 'reject' && (body.symbols.CLAM_VIRUS?.options ?? []).includes(EICAR_NAME)
      : body.action === 'no action' && Object.keys(body.symbols).length === 0);
    return { ms, wrong: right ? null : `${infected ? 'EICAR' : 'clean'}: ${res.status} ${JSON.stringify(body).slice(0, 300)}` };
  } catch (err) {
    return { ms: performance.now() - started, wrong: `${infected ? 'EICAR' : 'clean'}: ${(err as Error).message}` };
  }
}

/** Normal rounds one after the other, `rounds` of them or until `untilMs` (performance.now()). */
async function normalClient(opts: { rounds?: number; untilMs?: number }): Promise<Round[]> {
  const out: Round[] = [];
  for (let i = 0; (opts.rounds === undefined || i < opts.rounds) && (opts.untilMs === undefined || performance.now() < opts.untilMs); i++) {
    out.push(await normalRound(i % 2 === 1));
  }
  return out;
}

/** A message of `parts` attachments of their own bytes, each named with 50 KB (issue 16, row 1). */
function longNamed(parts: number): Buffer {
  const tag = randomBytes(6).toString('hex');
  const body = Array.from({ length: parts }, (_, i) => [
    '--ln', 'Content-Type: application/octet-stream', `Content-Disposition: attachment; filename="${i}-${'n'.repeat(50_000)}.bin"`, '', `part ${i} ${tag}`, '',
  ].join('\r\n'));
  return Buffer.from([`From: h@example.org\r\nSubject: names ${tag}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="ln"\r\n`, ...body, '--ln--', ''].join('\r\n'));
}

/** What the hostile clients saw, by kind, for the failure message and the log. */
const seen = new Map<string, number>();
const saw = (what: string): void => void seen.set(what, (seen.get(what) ?? 0) + 1);

/** Starts every hostile client; `stop()` ends them all. */
async function startHostiles(): Promise<{ stop(): Promise<number> }> {
  let running = true;
  const held: HeldConnection[] = [];
  const uploads: Upload[] = [];
  const loops: Promise<void>[] = [];
  const loop = (name: string, pauseMs: number, body: () => Promise<void>): void => {
    loops.push((async () => {
      while (running) {
        await body().catch((err: Error) => saw(`${name}: ${err.message.slice(0, 60)}`));
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    })());
  };

  // Bodies declared (50 MB) and never sent: one byte each, held open.
  for (let i = 0; i < 40; i++) held.push(await holdOpen(apiPort, `${declaredPost('/scans?wait=0', 52428800)}X`));
  // Slow uploads: 4 MB at about 64 KB/s each, never finished within the soak.
  for (let i = 0; i < 8; i++) {
    const u = upload({ url: `${api}/scans?wait=0`, bytes: 4 * MiB, chunkBytes: 16 * 1024, pauseMs: 250 });
    void u.done.then((o) => saw(`slow upload: ${o.kind === 'answer' ? o.status : 'cut'}`));
    uploads.push(u);
  }
  // Slowloris on the milter port: a packet announcing 64 KiB, then a byte a second.
  // Slowloris on the clamd port: INSTREAM announcing a 1 MiB chunk, then a byte every half second.
  const milterDrip = Buffer.from([0, 1, 0, 0, 'B'.charCodeAt(0)]);
  for (let i = 0; i < 20; i++) {
    held.push(await holdOpen(milterPort, milterDrip));
    held.push(await holdOpen(clamdPort, Buffer.concat([Buffer.from('zINSTREAM\0'), Buffer.from([0, 0x10, 0, 0])])));
  }
  let drip = 0;
  const dripper = setInterval(() => {
    drip += 1;
    for (const c of held) {
      if (c.socket.destroyed) continue;
      const port = c.socket.remotePort;
      if (port === milterPort && drip % 2 === 0) c.socket.write('x');
      if (port === clamdPort) c.socket.write(Buffer.from('x'));
    }
  }, 500);

  // Messages of 20 parts named with 50 KB each, one after the other.
  loop('long names', 500, async () => {
    const res = await fetch(`${api}/scans?wait=30`, { method: 'POST', body: longNamed(20), signal: AbortSignal.timeout(60_000) });
    const body = (await res.json()) as ScanResult;
    const longest = Math.max(0, ...(body.parts ?? []).map((p) => Buffer.byteLength(p.filename ?? '')));
    saw(`long names: ${res.status}${longest > MAX_NAME_BYTES ? ' NAME NOT CUT' : ''}`);
  });
  // Tiny Deadlines on both routes.
  const tiny = ['0.001', '0.005', '0.02', '0.05'];
  let t = 0;
  loop('tiny deadline', 100, async () => {
    const path = t % 2 === 0 ? '/checkv2' : '/scans?wait=5';
    const res = await fetch(`${api}${path}`, { method: 'POST', body: normalMessage(t % 3 === 0), headers: { Deadline: tiny[t++ % tiny.length]! }, signal: AbortSignal.timeout(30_000) });
    await res.arrayBuffer();
    saw(`tiny deadline: ${res.status}`);
  });
  // Huge Deadlines: capped (3e6), or refused (4e7, over a year).
  let h = 0;
  loop('huge deadline', 300, async () => {
    const deadline = h++ % 2 === 0 ? '3e6' : '4e7';
    const res = await fetch(`${api}/checkv2`, { method: 'POST', body: normalMessage(false), headers: { Deadline: deadline }, signal: AbortSignal.timeout(60_000) });
    await res.arrayBuffer();
    saw(`huge deadline ${deadline}: ${res.status}`);
  });

  return {
    async stop() {
      running = false;
      clearInterval(dripper);
      await Promise.all(loops);
      for (const u of uploads) u.abort();
      const closedByServer = held.filter((c) => c.socket.destroyed).length;
      for (const c of held) c.close();
      return closedByServer;
    },
  };
}

test('hostile clients beside normal traffic: every normal answer right, p95 within 3 × baseline + 1 s, producer memory bounded', async () => {
  // Warm up (connections, JIT, clamd's first scans), not counted.
  await normalClient({ rounds: 6 });

  const baselineRss = new RssSampler(fleet.producer.pid, 100);
  const baseline = await normalClient({ rounds: BASELINE_ROUNDS });
  const rssBefore = baselineRss.stop();

  const hostiles = await startHostiles();
  const hostileRss = new RssSampler(fleet.producer.pid, 100);
  let inflightPeak = 0;
  const inflightSampler = setInterval(() => {
    void metricValue(`${api}/metrics`, 'avfleet_inflight_bytes').then((v) => (inflightPeak = Math.max(inflightPeak, v)), () => undefined);
  }, 500);
  let underLoad: Round[];
  let closedEarly: number;
  try {
    underLoad = await normalClient({ untilMs: performance.now() + HOSTILE_MS });
  } finally {
    clearInterval(inflightSampler);
    closedEarly = await hostiles.stop();
  }
  const rssPeak = hostileRss.stop();

  const p95Base = percentile(baseline.map((r) => r.ms), 95);
  const p95Load = percentile(underLoad.map((r) => r.ms), 95);
  const report =
    `normal client: baseline ${baseline.length} rounds p95 ${p95Base.toFixed(0)} ms; under hostile load ${underLoad.length} rounds p95 ${p95Load.toFixed(0)} ms ` +
    `(max ${Math.max(...underLoad.map((r) => r.ms)).toFixed(0)} ms). Producer RSS ${Math.round(rssBefore / MiB)} → peak ${Math.round(rssPeak / MiB)} MiB; ` +
    `in-flight bytes peak ${Math.round(inflightPeak / MiB)} MiB. Hostile clients saw: ${[...seen].map(([k, v]) => `${k} × ${v}`).join('; ')}; ` +
    `${closedEarly} of the ${HELD} held connections closed by the producer within the soak`;
  console.log(report);

  expect([...baseline, ...underLoad].filter((r) => r.wrong !== null).map((r) => r.wrong)).toEqual([]);
  expect(underLoad.length).toBeGreaterThanOrEqual(10);
  expect(p95Load).toBeLessThanOrEqual(3 * p95Base + 1000);
  expect(rssPeak - rssBefore).toBeLessThan(4 * INFLIGHT + 64 * MiB);
  expect(inflightPeak).toBeLessThanOrEqual(INFLIGHT);
  // The hostile clients got the answers the README promises.
  expect([...seen.keys()].filter((k) => /NAME NOT CUT|: 5\d\d$/.test(k) && !/tiny deadline: 503/.test(k))).toEqual([]);
  expect(seen.get('huge deadline 4e7: 400') ?? 0).toBeGreaterThan(0);
  expect(seen.get('huge deadline 3e6: 200') ?? 0).toBeGreaterThan(0);
  expect(seen.get('long names: 200') ?? 0).toBeGreaterThan(0);

  // Once they are gone, every byte they held is given back and the fleet answers as before.
  await waitUntil(async () => (await metricValue(`${api}/metrics`, 'avfleet_inflight_bytes')) === 0, {
    timeoutMs: 15_000, intervalMs: 200, failureMessage: () => `the hostile clients' bytes were not given back\n${fleet.logs()}`,
  });
  expect((await normalRound(true)).wrong).toBeNull();
  expect(fleet.producer.exitStatus()).toBeUndefined();
});
