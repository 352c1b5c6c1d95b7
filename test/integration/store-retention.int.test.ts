import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import IORedis from 'ioredis';
import { FolderObjectStore, type ScanResult } from '@avfleet/core';
import { startFleet, type Fleet } from '../helpers/fleet-processes';
import { cleanupPrefix, testPrefix } from '../helpers/redis-prefix';
import { testServices } from '../helpers/test-services';
import { waitUntil } from '../helpers/wait-until';

/**
 * Issue 16, "a private store that expires", for real: a producer and a worker process on a
 * folder store, started under the most permissive umask (000), with a one-minute retention.
 * Nobody runs a command: the worker (it serves `aggregate`) prunes on its own, so a message
 * and a part written two days ago are gone within a few prune intervals, while what the
 * fleet wrote just now and an old part a new scan re-used stay; and no file or folder in
 * the store is readable by anyone but its owner.
 */

jest.setTimeout(120000);

const RETENTION_SEC = 60;
/** pruneIntervalMs(60 s) = 6 s; the first try comes within 5 s of start. Bound: 2 × (6 s + 5 s) + 1 s. */
const PRUNE_WITHIN_MS = 2 * (6000 + 5000) + 1000;
const DAY = 24 * 3600_000;

const services = testServices();
const redis = new IORedis(services.redisUrl, { maxRetriesPerRequest: 1 });
const prefix = testPrefix('store-retention.int.test.ts');
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
let dir: string;
let fleet: Fleet | null = null;
let umask: number;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'avft-retention-'));
  writeFileSync(
    join(dir, 'antivirus.conf'),
    `clamav {\n  symbol = "CLAM_VIRUS";\n  action = "reject";\n  servers = "${services.clamd.host}:${services.clamd.port}";\n  timeout = 20;\n  prefix = "${prefix}cache_";\n}\n`,
  );
});

afterAll(async () => {
  await fleet?.stop();
  await cleanupPrefix(redis, prefix);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A message whose attachment is `body`, inside an attached message that is itself base64-encoded:
 * such a leaf is no plain range of the raw message, so the producer stores it as a part of its own
 * (D59) and a new scan of it re-uses a stored part.
 */
function withForwardedAttachment(body: Buffer): Buffer {
  const inner = withAttachment(body);
  const tag = randomBytes(6).toString('hex');
  return Buffer.from(
    `From: a@example.org\r\nTo: b@example.org\r\nSubject: forwarded ${tag}\r\nMIME-Version: 1.0\r\n` +
      `Content-Type: multipart/mixed; boundary="f${tag}"\r\n\r\n--f${tag}\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n` +
      `${inner.toString('base64').replace(/.{76}/g, '$&\r\n')}\r\n--f${tag}--\r\n`,
    'latin1',
  );
}

function withAttachment(body: Buffer): Buffer {
  const tag = randomBytes(6).toString('hex');
  const b64 = body.toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    `From: a@example.org\r\nTo: b@example.org\r\nSubject: retention ${tag}\r\nMessage-ID: <${tag}@avfleet.test>\r\nMIME-Version: 1.0\r\n` +
      `Content-Type: multipart/mixed; boundary="b${tag}"\r\n\r\n--b${tag}\r\nContent-Type: text/plain\r\n\r\nhello ${tag}\r\n` +
      `--b${tag}\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="data.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n--b${tag}--\r\n`,
    'latin1',
  );
}

/** `find DIR -perm /MASK`: what is readable, writable or searchable beyond the owner. */
function findPerm(root: string, mask: string): string[] {
  const r = spawnSync('find', [root, '-perm', `/${mask}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`find failed: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '');
}

test('an old message and an unused old part are gone without any command; recent and re-used objects stay; nothing is world-readable', async () => {
  const storeDir = join(dir, 'store');
  umask = process.umask(0o000); // the children inherit it
  try {
    fleet = await startFleet({
      configPath: join(dir, 'antivirus.conf'),
      env: {
        AVFLEET_QUEUE_PREFIX: prefix.slice(0, -1), AVFLEET_REDIS_URL: services.redisUrl, AVFLEET_STORE: storeDir,
        AVFLEET_STORE_RETENTION: String(RETENTION_SEC),
      },
    });
  } finally {
    process.umask(umask);
  }

  // What an earlier run left two days ago: a message, a part nobody uses any more, a part a new scan will use again.
  const seed = new FolderObjectStore(storeDir);
  const twoDaysAgo = new Date(Date.now() - 2 * DAY);
  const oldMessage = await seed.putMessage('seeded_old', Buffer.from('Subject: old\r\n\r\nold\r\n'), twoDaysAgo);
  const unused = randomBytes(2048);
  const reused = randomBytes(2048);
  const { key: unusedKey } = await seed.putPart(sha256(unused), unused);
  const { key: reusedKey } = await seed.putPart(sha256(reused), reused);
  for (const key of [oldMessage, unusedKey, reusedKey]) utimesSync(seed.pathFor(key), twoDaysAgo, twoDaysAgo);

  // A new scan whose attachment is the re-used part's bytes (inside an encoded attached message: stored as a part).
  const res = await fetch(`${fleet.apiUrl}/scans?wait=30`, { method: 'POST', body: withForwardedAttachment(reused) });
  expect(res.status).toBe(200);
  const result = (await res.json()) as ScanResult;
  const freshFile = (): string[] => spawnSync('find', [storeDir, '-name', `${result.id}.eml`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  expect(freshFile()).toHaveLength(1);

  // A run logs once it is through (every run, also when it removed nothing): the objects may be gone a moment before its line is.
  const pruneLogged = (): boolean => {
    const runs = (fleet?.worker.logs() ?? '').split('\n').filter((l) => l.includes('"msg":"store pruned"')).map((l) => JSON.parse(l) as { messages: number; parts: number });
    return runs.some((r) => r.messages > 0) && runs.some((r) => r.parts > 0);
  };
  await waitUntil(async () => !(await seed.exists(oldMessage)) && !(await seed.exists(unusedKey)) && pruneLogged(), {
    timeoutMs: PRUNE_WITHIN_MS,
    intervalMs: 200,
    failureMessage: () => `the fleet did not prune the two-day-old objects within ${PRUNE_WITHIN_MS} ms\n${fleet?.logs() ?? ''}`,
  });
  expect(await seed.exists(reusedKey)).toBe(true); // its age counts from the new scan's re-use
  expect(freshFile()).toHaveLength(1); // written by the fleet a few seconds ago

  const pruneLines = fleet.worker.logs().split('\n').filter((l) => l.includes('"msg":"store pruned"'));
  expect(pruneLines.length).toBeGreaterThanOrEqual(1);
  const removed = pruneLines.map((l) => JSON.parse(l) as { messages: number; parts: number });
  expect(removed.reduce((n, r) => n + r.messages, 0)).toBeGreaterThanOrEqual(1);
  expect(removed.reduce((n, r) => n + r.parts, 0)).toBeGreaterThanOrEqual(1);
  expect(fleet.producer.logs()).not.toContain('"msg":"store pruned"'); // producers never prune

  const metrics = await (await fetch(`${fleet.worker.baseUrl}/metrics`)).text();
  expect(metrics).toMatch(/^avfleet_store_pruned_objects_total\{kind="message"\} [1-9]/m);

  // Private: nothing for the group or others, files 0600 and folders 0700, whatever the umask was.
  expect(findPerm(storeDir, 'o=rwx')).toEqual([]);
  expect(findPerm(storeDir, 'g=rwx')).toEqual([]);
  expect(spawnSync('find', [storeDir, '-type', 'f', '!', '-perm', '600'], { encoding: 'utf8' }).stdout).toBe('');
  expect(spawnSync('find', [storeDir, '-type', 'd', '!', '-perm', '700'], { encoding: 'utf8' }).stdout).toBe('');
  expect(spawnSync('find', [storeDir, '-type', 'f'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)).toHaveLength(2); // the fresh message and the re-used part
});
