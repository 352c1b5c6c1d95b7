import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import IORedis from 'ioredis';
import { EICAR_TEST_STRING, type ScanResult } from '@avfleet/core';
import { freePort, requireBuiltCli, startFleet, type Fleet } from '../helpers/fleet-processes';
import { cleanupPrefix, testPrefix, teardownThenDisconnect } from '../helpers/redis-prefix';
import { repoRoot } from '../helpers/repo-root';
import { startClamd, type StartedClamd } from '../helpers/start-clamd';
import { testServices } from '../helpers/test-services';
import { MtaClient, mta, nulParts } from '../../apps/producer/test/milter/test-mta';

/**
 * Issue 16, row 9, replayed with a real clamd: an EICAR file padded past clamd's
 * StreamMaxLength is answered `INSTREAM size limit exceeded`, so the scan fails. A rule
 * without `fail_action` then adds only CLAM_VIRUS_FAIL and lets the message through
 * (`no action`) — which `avfleet config check` and every start-up warn about
 * (AVF_WARN_RULE_NO_FAIL_ACTION); with `fail_action = "reject"` the same message is
 * rejected, over HTTP and through the milter. The test's own clamd has a StreamMaxLength
 * of 64 KiB, so 100 KiB of padding is enough.
 */

jest.setTimeout(120_000);

const STREAM_MAX = 64 * 1024;
const EICAR_NAME = 'Eicar-Test-Signature.UNOFFICIAL';
const services = testServices();
const redis = new IORedis(services.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
const prefix = testPrefix('padded-past-scanner-limit.int.test.ts');
let dir: string;
let clamd: StartedClamd;
let fleet: Fleet | null = null;

/** The rule of both runs; `failAction` adds fail_action. */
function writeConf(name: string, failAction: string | null): string {
  const path = join(dir, name);
  writeFileSync(path, `clamav {
  scan_mime_parts = true;
  symbol = "CLAM_VIRUS";
  symbol_fail = "CLAM_VIRUS_FAIL";
  action = "reject";
  message = '\${SCANNER}: virus found: "\${VIRUS}"';
  servers = "127.0.0.1:${clamd.tcpPort}";
  timeout = 10;
  retransmits = 0;
  prefix = "${prefix}${name}_";
${failAction === null ? '' : `  fail_action = "${failAction}";\n`}}
`);
  return path;
}

/** An email with `eicar.com` attached: the EICAR string followed by `padBytes` of padding. */
function eicarMessage(padBytes: number): Buffer {
  const tag = randomBytes(6).toString('hex');
  const file = Buffer.concat([Buffer.from(EICAR_TEST_STRING, 'latin1'), Buffer.alloc(padBytes, 0x20)]);
  const b64 = file.toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    `From: a@example.org\r\nTo: b@example.org\r\nSubject: padded ${tag}\r\nMessage-ID: <${tag}@avfleet.test>\r\nMIME-Version: 1.0\r\n` +
      `Content-Type: multipart/mixed; boundary="b${tag}"\r\n\r\n--b${tag}\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n` +
      `--b${tag}\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="eicar.com"\r\n` +
      `Content-Transfer-Encoding: base64\r\n\r\n${b64}\r\n--b${tag}--\r\n`,
    'latin1',
  );
}

async function scan(raw: Buffer): Promise<ScanResult> {
  const res = await fetch(`${fleet!.apiUrl}/scans?wait=30`, { method: 'POST', body: raw, signal: AbortSignal.timeout(60_000) });
  expect(res.status).toBe(200);
  return (await res.json()) as ScanResult;
}

/** `avfleet config check PATH` as an operator runs it. */
function configCheck(path: string): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [requireBuiltCli(), 'config', 'check', path], { cwd: repoRoot(), encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  return { code: r.status, stderr: r.stderr };
}

async function startFleetWith(configPath: string, milterPort: number): Promise<Fleet> {
  return startFleet({
    configPath,
    env: { AVFLEET_QUEUE_PREFIX: prefix.slice(0, -1), AVFLEET_REDIS_URL: services.redisUrl, AVFLEET_STORE: join(dir, 'store') },
    producerArgs: ['--milter-listen', `127.0.0.1:${milterPort}`],
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'avft-padded-'));
  clamd = await startClamd({ dir: join(dir, 'clamd'), tcpPort: await freePort(), overrides: { StreamMaxLength: `${STREAM_MAX / 1024}K` } });
});

afterAll(() =>
  teardownThenDisconnect(redis, async () => {
    await fleet?.stop();
    await clamd?.stop();
    await cleanupPrefix(redis, prefix);
    rmSync(dir, { recursive: true, force: true });
  }),
);

test('without fail_action: config check and start-up warn; EICAR padded past StreamMaxLength passes with only CLAM_VIRUS_FAIL', async () => {
  const conf = writeConf('nofail.conf', null);
  const check = configCheck(conf);
  expect(check.code).toBe(0);
  expect(check.stderr).toMatch(/warning: rule "clamav": no fail_action, so a message whose scan fails passes with only CLAM_VIRUS_FAIL .*StreamMaxLength/);

  fleet = await startFleetWith(conf, await freePort());
  // Start-up says it too, in each process that loads the rules.
  expect(fleet.producer.logs()).toMatch(/warning: rule "clamav": no fail_action/);
  expect(fleet.worker.logs()).toMatch(/warning: rule "clamav": no fail_action/);

  // The same clamd finds the file when it is under its limit.
  const plain = await scan(eicarMessage(0));
  expect(plain.action).toBe('reject');
  expect(plain.symbols.CLAM_VIRUS?.options).toEqual([EICAR_NAME]);

  // Padded past the limit: clamd refuses the stream, the scan fails, the message passes.
  const padded = await scan(eicarMessage(100 * 1024));
  expect(padded.action).toBe('no action');
  expect(Object.keys(padded.symbols)).toEqual(['CLAM_VIRUS_FAIL']);
  expect(padded.symbols.CLAM_VIRUS_FAIL?.options?.join(' ')).toMatch(/size limit exceeded/i);
  const part = padded.parts.find((p) => p.filename === 'eicar.com');
  expect(part?.size).toBeGreaterThan(STREAM_MAX);
  expect(part?.verdicts?.clamav).toMatchObject({ kind: 'fail' });
  await fleet.stop();
  fleet = null;
});

test('with fail_action = "reject": no warning, and the padded file is rejected over HTTP and through the milter', async () => {
  const conf = writeConf('strict.conf', 'reject');
  const check = configCheck(conf);
  expect(check.code).toBe(0);
  expect(check.stderr).not.toMatch(/fail_action/);

  const milterPort = await freePort();
  fleet = await startFleetWith(conf, milterPort);
  expect(fleet.producer.logs()).not.toMatch(/no fail_action/);

  const padded = await scan(eicarMessage(100 * 1024));
  expect(padded.action).toBe('reject');
  expect(padded.symbols).toHaveProperty('CLAM_VIRUS_FAIL');

  // The same kind of message from an MTA: the milter answers 5xx.
  const raw = eicarMessage(100 * 1024).toString('latin1');
  const [head, body] = [raw.slice(0, raw.indexOf('\r\n\r\n')), raw.slice(raw.indexOf('\r\n\r\n') + 4)];
  const c = await MtaClient.open(milterPort);
  try {
    c.send(mta.optneg(), mta.connect('client.example.org', '4', 40000, '192.0.2.7'), mta.helo('client.example.org'));
    expect((await c.next(1))[0]!.command).toBe('O');
    const headers = head.split(/\r\n(?![ \t])/).map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)] as const);
    const chunks = body.match(/[\s\S]{1,60000}/g) ?? [];
    c.send(
      mta.macro('M', { i: 'PADDED1' }), mta.mail('<a@example.org>'), mta.rcpt('<b@example.org>'),
      ...headers.map(([n, v]) => mta.header(n, v)), mta.eoh(), ...chunks.map((b) => mta.body(b)), mta.eob(),
    );
    const [reply] = await c.next(1, 60_000);
    expect(nulParts(reply!)[0]).toMatch(/^5\d\d 5\.7\.1 /);
  } finally {
    c.close();
  }
});
