/**
 * Postfix → Rspamd 3.4's proxy worker (milter mode, `self_scan = no`, avfleet
 * as its only upstream) → avfleet's /checkv2 → the test clamd: the mail path
 * README's "Behind Rspamd's proxy" section sets up, with Debian's Postfix,
 * rspamd and swaks, and a producer and worker as separate processes (so
 * avfleet can be taken down and brought back under the running proxy).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Redis from 'ioredis';
import { EICAR_TEST_STRING } from '@avfleet/core';
import { messageWithAttachment } from '../helpers/attachment-message';
import { loadCorpus } from '../helpers/corpus';
import { freePort, renderTestConfig, startFleetProcess, type FleetProcess } from '../helpers/fleet-processes';
import { startPrivatePostfix, type PrivatePostfix } from '../helpers/start-postfix';
import { cleanupPrefix, testPrefix } from '../helpers/redis-prefix';
import { startRspamdProxy, type RspamdProxy } from '../helpers/rspamd-proxy';
import { swaks, type SwaksRun } from '../helpers/swaks';
import { testServices } from '../helpers/test-services';

jest.setTimeout(180_000);

/** What Postfix answers when the milter tempfails (Postfix's own text; the proxy sends SMFIR_TEMPFAIL). */
const TEMPFAIL_REPLY = '451 4.7.1 Service unavailable - try again later';
/**
 * With avfleet down the proxy gives up after its retries on refused connections
 * (src/rspamd_proxy.c `proxy_backend_master_error_handler`, `max_retries`
 * default 5), in well under a second here; this bound (2 × 2 s + 1 s) only
 * says it does not wait for the upstream `timeout` or Postfix's milter timeouts.
 */
const DOWN_REPLY_LIMIT_MS = 2 * 2000 + 1000;

const services = testServices();
const prefix = testPrefix('rspamd-proxy-milter.int.test.ts');
const configPath = renderTestConfig('reference-clamav.conf', { CLAMD: `${services.clamd.host}:${services.clamd.port}`, PREFIX: `${prefix}cache_` });
const dir = mkdtempSync(join(tmpdir(), 'avft-rspamd-proxy-'));
const redis = new Redis(services.redisUrl, { maxRetriesPerRequest: 1 });
const env = { AVFLEET_QUEUE_PREFIX: prefix.slice(0, -1), AVFLEET_REDIS_URL: services.redisUrl, AVFLEET_STORE: join(dir, 'store') };

let apiPort = 0;
let worker: FleetProcess | null = null;
let producer: FleetProcess | null = null;
let proxy: RspamdProxy | null = null;
let postfix: PrivatePostfix | null = null;
let seq = 0;

/** A message with one attachment, unique per call (no verdict-cache hit from an earlier one), written to a file for swaks. */
function messageFile(kind: 'clean' | 'virus'): string {
  const tag = `${kind}-${Date.now()}-${seq++}`;
  const path = join(dir, `${tag}.eml`);
  writeFileSync(path, messageWithAttachment(tag, kind === 'virus' ? EICAR_TEST_STRING : `just some bytes ${tag}`, `proxy ${tag}`), 'latin1');
  return path;
}

function startProducer(extraEnv: Readonly<Record<string, string>> = {}): Promise<FleetProcess> {
  return startFleetProcess({ role: 'producer', configPath, listen: `127.0.0.1:${apiPort}`, env: { ...env, ...extraEnv } });
}

async function send(kind: 'clean' | 'virus'): Promise<SwaksRun> {
  if (!postfix) throw new Error('Postfix is not running');
  return swaks(postfix.smtpPort, messageFile(kind));
}

/** For failure messages: what the proxy logged and what Postfix logged. */
function context(run: SwaksRun): string {
  return `swaks:\n${run.transcript.slice(-1500)}\nproxy log: ${proxy?.logPath ?? '-'}\nPostfix log: ${postfix?.logPath ?? '-'}`;
}

beforeAll(async () => {
  apiPort = await freePort();
  worker = await startFleetProcess({ role: 'worker', configPath, listen: `127.0.0.1:${await freePort()}`, env });
  producer = await startProducer();
  const milterPort = await freePort();
  proxy = await startRspamdProxy({ dir: join(dir, 'rspamd'), milterPort, upstreamHosts: `127.0.0.1:${apiPort}` });
  postfix = await startPrivatePostfix({ name: 'rspamd-proxy', listeners: [{ port: await freePort(), milter: `inet:127.0.0.1:${milterPort}` }] });
});

afterAll(async () => {
  await postfix?.stop();
  await proxy?.stop();
  await producer?.stop();
  await worker?.stop();
  await cleanupPrefix(redis, prefix);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
  rmSync(dirname(configPath), { recursive: true, force: true });
});

describe('Postfix → Rspamd proxy (milter mode, self_scan = no) → avfleet', () => {
  it('accepts clean mail with 250', async () => {
    const run = await send('clean');
    expect([run.verdict, context(run)]).toEqual([expect.stringMatching(/^250 2\.0\.0 Ok: queued as [0-9A-Z]+$/), expect.any(String)]);
  });

  it('rejects a virus with 554 5.7.1 and the rule\'s message naming it', async () => {
    const run = await send('virus');
    expect([run.verdict, context(run)]).toEqual(['554 5.7.1 clamav: virus found: "Eicar-Test-Signature.UNOFFICIAL"', expect.any(String)]);
    // Both verdicts came from avfleet's /checkv2 (200s), not from a proxy fallback.
    const metrics = await (await fetch(`${producer?.baseUrl ?? ''}/metrics`)).text();
    expect(metrics).toMatch(/avfleet_http_requests_total\{route="checkv2",status="200"\} 2\b/);
  });

});

describe('the whole corpus through Postfix → Rspamd proxy → avfleet', () => {
  /**
   * The SMTP reply Postfix gives for avfleet's own verdict on the same bytes
   * (src/libserver/milter.c `rspamd_milter_send_task_results`: reject → 554
   * 5.7.1, soft reject → 451 4.7.1, both with `messages.smtp_message`; any
   * other action accepts). Whether that verdict is right is
   * corpus-parity.int.test.ts's question; this one asks that the mail path
   * delivers it unchanged, and defers nothing it should not.
   */
  function expectedReply(result: { action: string; message: string | null }): string | RegExp {
    if (result.action === 'reject') return `554 5.7.1 ${result.message ?? 'Spam message rejected'}`;
    if (result.action === 'soft reject') return `451 4.7.1 ${result.message ?? 'Try again later'}`;
    return /^250 2\.0\.0 Ok: queued as [0-9A-Z]+$/;
  }

  async function scanDirectly(raw: Buffer): Promise<{ action: string; message: string | null }> {
    const res = await fetch(`${producer?.baseUrl ?? ''}/scans?wait=30`, { method: 'POST', body: raw });
    return (await res.json()) as { action: string; message: string | null };
  }

  it('gives every message the SMTP reply of avfleet\'s verdict: viruses 554 naming them, clean 250, none deferred', async () => {
    const entries = loadCorpus();
    // swaks reads a file: generated messages exist only in memory until written here.
    const scratch = mkdtempSync(join(tmpdir(), 'avf-proxy-corpus-'));
    const mismatches: string[] = [];
    const tally = { rejected: 0, accepted: 0, other: 0 };
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < entries.length) {
        const message = entries[next++];
        const entry = message.entry;
        const raw = message.raw();
        const path = message.path ?? join(scratch, `${next}.eml`);
        if (message.path === null) writeFileSync(path, raw);
        // Scanned once directly first, so that the mail path and the verdict it is compared
        // with both come from the verdict cache (a cached encrypted or macro verdict carries
        // Rspamd's shorter cached text: packages/core/src/cache/cache-value.ts).
        await scanDirectly(raw);
        const run = await swaks(postfix?.smtpPort ?? 0, path);
        const direct = await scanDirectly(raw);
        const want = expectedReply(direct);
        if (run.verdict.startsWith('554')) tally.rejected++;
        else if (run.verdict.startsWith('250')) tally.accepted++;
        else tally.other++;
        const ok = typeof want === 'string' ? run.verdict === want : want.test(run.verdict);
        if (!ok) mismatches.push(`${entry.file}: avfleet says ${direct.action} (${String(direct.message)}), Postfix answered "${run.verdict}"`);
      }
    };
    try {
      await Promise.all([lane(), lane(), lane(), lane()]);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    console.info(`corpus through the proxy: ${entries.length} messages, ${tally.rejected} rejected (554), ${tally.accepted} accepted (250), ${tally.other} other (deferred or refused)`);
    expect(mismatches).toEqual([]);
    expect(tally.other).toBe(0);
    expect(tally.rejected).toBeGreaterThan(0);
  });
});

describe('avfleet down and back under a running proxy', () => {
  it('with avfleet down, the proxy tempfails every message (451), viruses included, at once', async () => {
    await producer?.stop();
    producer = null;
    for (const kind of ['clean', 'virus'] as const) {
      const run = await send(kind);
      console.info(`avfleet down, ${kind} message: "${run.verdict}" after ${run.ms} ms`);
      expect([kind, run.verdict, context(run)]).toEqual([kind, TEMPFAIL_REPLY, expect.any(String)]);
      expect(run.ms).toBeLessThan(DOWN_REPLY_LIMIT_MS);
    }
  });

  it('with AVFLEET_API_TOKEN set, the proxy cannot authenticate in milter mode (401 behind it) and tempfails', async () => {
    producer = await startProducer({ AVFLEET_API_TOKEN: 'rspamd-proxy-cannot-send-this' });
    try {
      const run = await send('clean');
      expect([run.verdict, context(run)]).toEqual([TEMPFAIL_REPLY, expect.any(String)]);
      // The refusal is avfleet's 401 (no Password header in what the proxy sends), not a scan.
      const metrics = await (await fetch(`${producer.baseUrl}/metrics`)).text();
      expect(metrics).toMatch(/avfleet_http_requests_total\{route="checkv2",status="401"\} 1\b/);
      expect(metrics).not.toMatch(/avfleet_http_requests_total\{route="checkv2",status="200"\}/);
    } finally {
      await producer.stop();
      producer = null;
    }
  });

  it('once avfleet is back, the next message is scanned again (the proxy revives its only upstream)', async () => {
    await producer?.stop();
    producer = await startProducer();
    const virus = await send('virus');
    expect([virus.verdict, context(virus)]).toEqual(['554 5.7.1 clamav: virus found: "Eicar-Test-Signature.UNOFFICIAL"', expect.any(String)]);
    const clean = await send('clean');
    expect([clean.verdict, context(clean)]).toEqual([expect.stringMatching(/^250 2\.0\.0 Ok: queued as [0-9A-Z]+$/), expect.any(String)]);
  });

  it('with the proxy itself down, Postfix applies milter_default_action (tempfail: 451 before DATA)', async () => {
    await proxy?.stop();
    proxy = null;
    const run = await send('virus');
    expect([run.verdict, context(run)]).toEqual([TEMPFAIL_REPLY, expect.any(String)]);
    expect(run.transcript).not.toMatch(/^ -> DATA$/m);
  });
});
