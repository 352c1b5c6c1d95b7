import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Client } from 'minio';
import { createLogger } from '@avfleet/core';
import { startFleetUnderTest, type FleetUnderTest } from '../helpers/fleet-under-test';
import { repoRoot } from '../helpers/repo-root';
import { testServices } from '../helpers/test-services';

/**
 * The pino JSON logs of a producer and worker run with every secret set (API
 * token, S3 credentials against s3rver) at level trace: one `message scanned`
 * line per message with scan id, queue id, action, symbols and duration,
 * per-part lines where `log_clean` or a verdict asks, and no secret anywhere.
 */

const TOKEN = `avf-token-${randomBytes(12).toString('hex')}`;
const WRONG_TOKEN = `avf-wrong-${randomBytes(12).toString('hex')}`;
// s3rver accepts only its own key pair, so these are the S3 "secrets" of this run.
const S3_KEY = 'S3RVER';
const S3_SECRET = 'S3RVER';
const BUCKET = `avf-logs-${process.pid}-${randomBytes(3).toString('hex')}`;

const CONF = `
clamav {
  scan_mime_parts = true;
  symbol = "CLAM_VIRUS";
  action = "reject";
  log_clean = true;
  servers = "\${CLAMD}";
  prefix = "\${PREFIX}rs_clamav_";
}
`;

interface LogLine { level: number; msg: string; name?: string; [k: string]: unknown }

const raw: string[] = [];
const sink = new Writable({
  write(chunk: Buffer | string, _enc, cb) {
    raw.push(chunk.toString());
    cb();
  },
});
const sample = (name: string): Buffer => readFileSync(join(repoRoot(), 'examples', 'samples', name));
let fleet: FleetUnderTest;
const scanned: { id: string; queueId: string; action: string }[] = [];

beforeAll(async () => {
  fleet = await startFleetUnderTest({
    testFile: __filename,
    conf: CONF,
    env: {
      AVFLEET_API_TOKEN: TOKEN,
      AVFLEET_STORE: `s3://${BUCKET}`,
      AVFLEET_S3_ENDPOINT: testServices().s3Endpoint,
      AVFLEET_S3_ACCESS_KEY: S3_KEY,
      AVFLEET_S3_SECRET_KEY: S3_SECRET,
    },
    producerLogger: createLogger({ level: 'trace', name: 'avfleet-producer', destination: sink }),
    workerLogger: createLogger({ level: 'trace', name: 'avfleet-worker', destination: sink }),
  });
  const messages: [string, Record<string, string>][] = [
    ['02-clean-attachment.eml', { Authorization: `Bearer ${TOKEN}` }],
    ['03-eicar-attachment.eml', { Password: TOKEN }],
    ['04-eicar-in-zip.eml', { Authorization: `Bearer ${TOKEN}` }],
  ];
  for (const [i, [file, auth]] of messages.entries()) {
    const queueId = `QLOG${i}`;
    const r = await fleet.scan(sample(file), { ...auth, 'Queue-Id': queueId });
    expect(r.status).toBe(200);
    scanned.push({ id: String(r.body.id), queueId, action: String(r.body.action) });
  }
  // Refused requests carry secrets too (a wrong token, the right one on a route that does not exist).
  expect((await fleet.scan(sample('01-clean-text.eml'), { Authorization: `Bearer ${WRONG_TOKEN}` })).status).toBe(401);
  expect((await fetch(`${fleet.producerUrl}/nowhere`, { headers: { Authorization: `Bearer ${TOKEN}`, Password: TOKEN } })).status).toBe(404);
  const cv = await fetch(`${fleet.producerUrl}/checkv2`, { method: 'POST', body: sample('03-eicar-attachment.eml'), headers: { Password: TOKEN } });
  expect(cv.status).toBe(200);
}, 120_000);

afterAll(async () => {
  await fleet?.close();
  // The run's bucket in s3rver: emptied one object at a time (s3rver answers 500 to DeleteObjects), then removed.
  const url = new URL(testServices().s3Endpoint);
  const admin = new Client({ endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey: S3_KEY, secretKey: S3_SECRET });
  if (!(await admin.bucketExists(BUCKET))) return;
  const names: string[] = [];
  for await (const item of admin.listObjectsV2(BUCKET, '', true)) if (item.name) names.push(item.name);
  for (const name of names) await admin.removeObject(BUCKET, name);
  await admin.removeBucket(BUCKET);
});

const lines = (): LogLine[] => raw.join('').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as LogLine);

describe('logs', () => {
  it('are pino JSON lines from both processes', () => {
    const all = lines();
    expect(all.length).toBeGreaterThan(5);
    expect(new Set(all.map((l) => l.name))).toEqual(new Set(['avfleet-producer', 'avfleet-worker']));
    for (const l of all) expect(typeof l.level === 'number' && typeof l.msg === 'string' && typeof l.time === 'number').toBe(true);
  });

  it('have one info line per message with scan id, queue id, action, symbols and duration', () => {
    const done = lines().filter((l) => l.msg === 'message scanned');
    for (const s of scanned) {
      const mine = done.filter((l) => l.scanId === s.id);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ level: 30, queueId: s.queueId, action: s.action });
      expect(Array.isArray(mine[0]!.symbols)).toBe(true);
      expect(typeof mine[0]!.ms).toBe('number');
    }
    const eicar = done.find((l) => l.scanId === scanned[1]!.id)!;
    expect(eicar.symbols).toContain('CLAM_VIRUS');
  });

  it('have per-part info lines for clean parts when log_clean is set, and for verdicts', () => {
    const all = lines();
    const clean = all.filter((l) => l.msg === 'part clean' && l.scanId === scanned[0]!.id);
    expect(clean.length).toBeGreaterThanOrEqual(1);
    expect(clean[0]).toMatchObject({ level: 30, rule: 'clamav' });
    const virus = all.filter((l) => l.msg === 'part verdict' && l.scanId === scanned[1]!.id);
    expect(virus.length).toBeGreaterThanOrEqual(1);
    expect(virus[0]).toMatchObject({ level: 30, rule: 'clamav' });
  });

  it('never contain a secret: API token (right or wrong), S3 access or secret key', () => {
    const text = raw.join('');
    expect(text.length).toBeGreaterThan(1000);
    expect(scanned).toHaveLength(3); // the run did store messages in the S3 bucket with these credentials
    for (const secret of [TOKEN, WRONG_TOKEN, S3_KEY, S3_SECRET]) {
      const hits = text.split('\n').filter((l) => l.includes(secret));
      expect({ secret, hits }).toEqual({ secret, hits: [] });
    }
  });
});
