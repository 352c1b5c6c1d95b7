/**
 * Rspamd's own client against avfleet: the real `rspamc` (Debian's rspamd
 * package) talks /checkv2 to a producer and worker started in-process, with
 * Redis, clamd, a temporary folder store, its own queue and cache prefix.
 * Skipped, with a message, only when rspamc is not installed (CI installs it).
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { loadAntivirusConfig, resolveFleetSettings } from '@avfleet/config';
import { EICAR_TEST_STRING, NOOP_LOGGER } from '@avfleet/core';
import { startProducer, type RunningProducer } from '@avfleet/producer';
import { startWorker, type RunningWorker } from '@avfleet/worker';
import { messageWithAttachment } from '../helpers/attachment-message';
import { cleanupPrefix, testPrefix, teardownThenDisconnect } from '../helpers/redis-prefix';
import { testServices } from '../helpers/test-services';

jest.setTimeout(90_000);

const RSPAMC_MISSING = spawnSync('rspamc', ['--help'], { encoding: 'utf8' }).error !== undefined;
if (RSPAMC_MISSING) {
  console.warn('checkv2-rspamc.int.test.ts skipped: rspamc is not installed (apt-get install rspamd provides it)');
}
const describeWithRspamc = RSPAMC_MISSING ? describe.skip : describe;

const TOKEN = 'checkv2-test-token';
const EICAR_NAME = 'Eicar-Test-Signature.UNOFFICIAL';
const services = testServices();
const prefix = testPrefix('checkv2-rspamc.int.test.ts');
const dir = mkdtempSync(join(tmpdir(), 'avft-checkv2-'));
const redis = new Redis(services.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
let producer: RunningProducer | null = null;
let worker: RunningWorker | null = null;
let host = '';

function writeMessage(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text, 'latin1');
  return path;
}

interface RspamcRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs rspamc asynchronously (the producer and worker live in this process and must keep running). */
function rspamc(args: readonly string[]): Promise<RspamcRun> {
  return new Promise((resolve) => {
    execFile('rspamc', ['-h', host, '-t', '20', ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  if (RSPAMC_MISSING) return;
  const confPath = join(dir, 'antivirus.conf');
  writeFileSync(confPath, [
    'clamav {',
    '  scan_mime_parts = true;',
    '  symbol = "CLAM_VIRUS";',
    '  type = "clamav";',
    '  action = "reject";',
    `  message = '\${SCANNER}: virus found: "\${VIRUS}"';`,
    `  servers = "${services.clamd.host}:${services.clamd.port}";`,
    `  prefix = "${prefix}rs_clamav_";`,
    '  timeout = 15s;',
    '}',
    '',
  ].join('\n'));
  const settings = resolveFleetSettings({
    flags: {},
    role: 'scan',
    cwd: dir,
    env: {
      AVFLEET_REDIS_URL: services.redisUrl,
      AVFLEET_STORE: join(dir, 'store'),
      AVFLEET_QUEUE_PREFIX: prefix.slice(0, -1),
      AVFLEET_LISTEN: '127.0.0.1:0',
      AVFLEET_METRICS_LISTEN: '127.0.0.1:0',
      AVFLEET_API_TOKEN: TOKEN,
    },
  });
  const config = loadAntivirusConfig(confPath);
  worker = await startWorker({ settings, config, logger: NOOP_LOGGER, serveOps: false });
  producer = await startProducer({ settings, config, logger: NOOP_LOGGER });
  host = `127.0.0.1:${producer.address.port}`;
});

afterAll(() =>
  teardownThenDisconnect(redis, async () => {
    await producer?.close();
    await worker?.close();
    await cleanupPrefix(redis, prefix);
    rmSync(dir, { recursive: true, force: true });
  }),
);

describeWithRspamc('rspamc against avfleet /checkv2', () => {
  it('reports CLAM_VIRUS with the EICAR name and the reject action', async () => {
    const file = writeMessage('eicar.eml', messageWithAttachment('eicar1', EICAR_TEST_STRING));
    const run = await rspamc(['-P', TOKEN, file]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Action: reject');
    expect(run.stdout).toMatch(/Symbol: CLAM_VIRUS \(0\.00\)\[Eicar-Test-Signature\.UNOFFICIAL\]/);
    expect(run.stdout).toContain(`Message - smtp_message: clamav: virus found: "${EICAR_NAME}"`);
    expect(run.stdout).toContain('Message-ID: eicar1@avfleet.test');
  });

  it('reports no action for a clean message', async () => {
    const file = writeMessage('clean.eml', messageWithAttachment('clean1', 'just some harmless bytes\n'));
    const run = await rspamc(['-P', TOKEN, file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Action: no action');
    expect(run.stdout).not.toContain('CLAM_VIRUS');
  });

  it('fails without -P when AVFLEET_API_TOKEN is set, and with a wrong one', async () => {
    const file = writeMessage('eicar-noauth.eml', messageWithAttachment('eicar2', EICAR_TEST_STRING));
    for (const args of [[file], ['-P', 'wrong', file]]) {
      const run = await rspamc(args);
      expect(run.code).not.toBe(0);
      expect(run.stdout).toContain('HTTP error: 401');
      expect(run.stdout).not.toContain('Action:');
    }
  });

  it('gives JSON with --json that parses, in Rspamd shape, and passes -i / --header through', async () => {
    const file = writeMessage('eicar-json.eml', messageWithAttachment('eicar3', EICAR_TEST_STRING));
    const run = await rspamc(['-P', TOKEN, '--json', '-i', '192.0.2.9', '--header', 'Queue-Id=QJSON1', file]);
    expect(run.code).toBe(0);
    const reply = JSON.parse(run.stdout) as Record<string, unknown> & { symbols: Record<string, { options?: string[] }>; scan_id: string };
    expect(reply).toMatchObject({ is_skipped: false, action: 'reject', 'message-id': 'eicar3@avfleet.test' });
    expect(reply.symbols.CLAM_VIRUS.options).toEqual([EICAR_NAME]);
    // The scan id in the reply leads to the full result, which carries the Queue-Id header.
    const res = await fetch(`http://${host}/scans/${reply.scan_id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ state: 'done', queue_id: 'QJSON1', action: 'reject' });
  });

  it('answers the `symbols` command too', async () => {
    const file = writeMessage('eicar-symbols.eml', messageWithAttachment('eicar4', EICAR_TEST_STRING));
    const run = await rspamc(['-P', TOKEN, 'symbols', file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('CLAM_VIRUS');
    expect(run.stdout).toContain(EICAR_NAME);
  });

  it('refuses rspamc -z (zstd) clearly instead of scanning compressed bytes', async () => {
    const file = writeMessage('eicar-z.eml', messageWithAttachment('eicar5', EICAR_TEST_STRING));
    const run = await rspamc(['-P', TOKEN, '-z', file]);
    expect(run.code).not.toBe(0);
    expect(run.stdout).toContain('HTTP error: 415');
    expect(run.stdout).not.toContain('Action:');
  });
});
