import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import { startFleet, type Fleet } from '../helpers/fleet-processes';
import { startPrivateRedis, type PrivateRedis } from '../helpers/start-redis';
import { waitUntil } from '../helpers/wait-until';
import { startSlowClamd, type SlowClamd } from '../simulators/slow-clamd';

/**
 * Issue 16, row 7: "answered 503 → never enqueued, or enqueued and cancelled: no result ever
 * appears" (README, Failure behaviour). A real producer and worker on their own redis-server,
 * which the test pauses (SIGSTOP) while requests are being accepted, and requests with tiny
 * Deadlines. Afterwards every stored result belongs to a scan id some client was given (200 or
 * 202): a 503 never leaves a result behind.
 */

jest.setTimeout(240000);

const QP = 'avft-refused';
/** The producer's bound on each Redis or store step of the request path (packages/core/src/intake/within.ts). */
const INTAKE_BOUND_MS = 10000;
/** Longer than the bound: requests in flight during the pause are refused with 503. */
const PAUSE_MS = INTAKE_BOUND_MS + 3000;
/** Pauses of Redis, and requests sent around each: 3 × 34 ≥ the 100 tries of issue 16 ("Done when"). */
const PAUSES = 3;
const TRIES_PER_PAUSE = 34;

let dir: string;
let sim: SlowClamd;
let redisServer: PrivateRedis;
let redis: IORedis;
let fleet: Fleet;
/** Every answer of every test in this file: the results stored are checked against all of them. */
const allAnswers: Answer[] = [];

function message(tag: string): Buffer {
  const id = `${tag}-${randomBytes(6).toString('hex')}`;
  // Unique bytes: never answered from the verdict cache, so every accepted message is enqueued.
  return Buffer.from(`From: a@example.org\r\nTo: b@example.org\r\nSubject: refused ${id}\r\nMessage-ID: <${id}@avfleet.test>\r\n\r\nhello ${id}\r\n`, 'latin1');
}

interface Answer {
  readonly status: number;
  /** The scan id the client was given (200 result or 202), else null. */
  readonly id: string | null;
}

async function post(raw: Buffer, opts: { wait: number; deadline?: string }): Promise<Answer> {
  const res = await fetch(`${fleet.apiUrl}/scans?wait=${opts.wait}`, {
    method: 'POST', body: raw, headers: opts.deadline ? { Deadline: opts.deadline } : {}, signal: AbortSignal.timeout(60000),
  });
  const body = (await res.json()) as { id?: string };
  const answer = { status: res.status, id: res.status === 200 || res.status === 202 ? (body.id ?? null) : null };
  allAnswers.push(answer);
  return answer;
}

async function storedResultIds(): Promise<string[]> {
  return (await redis.keys(`${QP}:result:*`)).map((k) => k.slice(`${QP}:result:`.length));
}

/** Waits until no part or aggregation job is waiting or running: every enqueued scan has finished (or was dropped). */
async function drained(): Promise<void> {
  await waitUntil(async () => {
    const lengths = await Promise.all([
      redis.llen(`${QP}:clamav:wait`), redis.llen(`${QP}:clamav:active`), redis.zcard(`${QP}:clamav:delayed`),
      redis.llen(`${QP}:aggregate:wait`), redis.llen(`${QP}:aggregate:active`), redis.zcard(`${QP}:aggregate:delayed`),
    ]);
    return lengths.every((n) => n === 0);
  }, { timeoutMs: 60000, intervalMs: 250, failureMessage: () => `the aggregate queue did not drain\n${fleet.logs()}` });
  // A scan job still running when its parent was counted: give the last aggregation a moment.
  await new Promise((r) => setTimeout(r, 1500));
}

function expectNothingBehindRefusals(answers: readonly Answer[], stored: readonly string[]): void {
  const given = new Set(allAnswers.map((a) => a.id).filter((id): id is string => id !== null));
  const orphans = stored.filter((id) => !given.has(id));
  if (orphans.length > 0) {
    const lines = fleet.logs().split('\n').filter((l) => orphans.some((id) => l.includes(id)) || l.includes('"level":50') || l.includes('"level":40'));
    throw new Error(`results stored for ${orphans.length} scan(s) whose clients were refused: ${orphans.slice(0, 5).join(', ')}\n${lines.slice(-60).join('\n')}`);
  }
  for (const a of answers) expect([200, 202, 503]).toContain(a.status);
  const by = (status: number): number => answers.filter((a) => a.status === status).length;
  console.log(`${answers.length} tries: ${by(200)} × 200, ${by(202)} × 202, ${by(503)} × 503; ${stored.length} results stored in all, none for a refused request`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'avft-refused-'));
  sim = await startSlowClamd({ delayMs: 20 });
  redisServer = await startPrivateRedis();
  redis = new IORedis(redisServer.url, { maxRetriesPerRequest: null, lazyConnect: true });
  redis.on('error', () => undefined);
  await redis.connect();
  const configPath = join(dir, 'antivirus.conf');
  writeFileSync(configPath, `
clamav {
  scan_mime_parts = false;
  symbol = "CLAM_VIRUS";
  action = "reject";
  servers = "127.0.0.1:${sim.port}";
  timeout = 5;
  prefix = "${QP}_cache_";
}
`);
  fleet = await startFleet({
    configPath,
    env: { AVFLEET_QUEUE_PREFIX: QP, AVFLEET_REDIS_URL: redisServer.url, AVFLEET_STORE: join(dir, 'store'), AVFLEET_CONCURRENCY: '4' },
  });
});

afterAll(async () => {
  redisServer?.resume();
  await fleet?.stop();
  redis?.disconnect();
  await redisServer?.dispose();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('100 requests with tiny Deadlines: a 503 never leaves a stored result behind', async () => {
  const deadlines = ['0.001', '0.003', '0.01', '0.02', '0.05'];
  const answers: Answer[] = [];
  // Ten at a time, so that some are refused while being accepted, not only before.
  for (let i = 0; i < 100; i += 10) {
    answers.push(...(await Promise.all(Array.from({ length: 10 }, (_, j) => post(message(`tiny${i + j}`), { wait: 5, deadline: deadlines[(i + j) % deadlines.length] })))));
  }
  await drained();
  const stored = await storedResultIds();
  expectNothingBehindRefusals(answers, stored);
  expect(answers.filter((a) => a.status === 503).length).toBeGreaterThan(0);
});

test('Redis paused longer than the bound while requests are accepted, three times, 100 tries in all: a 503 never leaves a stored result behind', async () => {
  const answers: Answer[] = [];
  for (let cycle = 0; cycle < PAUSES; cycle++) {
    const inFlight: Promise<Answer>[] = [];
    // Requests spread over the pause: some in the middle of being accepted when it starts, the
    // others sent while Redis is frozen (answered 503 past the bound, or accepted once it thaws).
    const sender = (async () => {
      for (let i = 0; i < TRIES_PER_PAUSE; i++) {
        inFlight.push(post(message(`pause${cycle}-${i}`), { wait: 20 }));
        await new Promise((r) => setTimeout(r, i < 10 ? 15 : 200));
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    redisServer.pause();
    await new Promise((r) => setTimeout(r, PAUSE_MS));
    redisServer.resume();
    await sender;
    answers.push(...(await Promise.all(inFlight)));
  }
  expect(answers.length).toBeGreaterThanOrEqual(100);
  await drained();
  const stored = await storedResultIds();
  expectNothingBehindRefusals(answers, stored);
  // The pause really refused requests, and the fleet kept scanning the others.
  expect(answers.filter((a) => a.status === 503).length).toBeGreaterThan(0);
  expect(answers.filter((a) => a.status === 200).length).toBeGreaterThan(0);
});
