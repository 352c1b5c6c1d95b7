import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { UnrecoverableError } from 'bullmq';
import { Registry } from 'prom-client';
import { NOOP_LOGGER, createFleetMetrics, createWebhookProcessor, webhookBody, webhookSignature, type RetroDetection } from '@avfleet/core';
import { repoRoot } from '../helpers/repo-root';

/**
 * examples/retro-webhook/retro-webhook-receiver.py (README "Webhook"): it verifies avfleet's
 * signature and timestamp, and for every carrier with a Message-ID prints (dry run, the
 * default) the doveadm search and expunge it would run. Driven by avfleet's own signer and
 * sender, so the example and the scheme cannot drift apart.
 */

const SCRIPT = join(repoRoot(), 'examples', 'retro-webhook', 'retro-webhook-receiver.py');
const SECRET = 'example-receiver-secret';
const env = { ...process.env, AVFLEET_WEBHOOK_SECRET: SECRET };

const event: RetroDetection = {
  type: 'retro_detection', id: '01JEXAMPLE0000000000000000', rule: 'clamav', viruses: ['Retro.Example'], digest: 'ef'.repeat(32), signatureVersion: '27402',
  detectedAt: '2026-12-07T08:00:00.000Z',
  carriers: [
    { scanId: 's1', time: '2026-12-06T08:00:00.000Z', queueId: 'Q1', from: 'a@example.org', recipients: ['b@example.net'], messageId: '<m-1@example.org>' },
    { scanId: 's2', time: '2026-12-06T09:00:00.000Z', queueId: 'Q2', from: null, recipients: [], messageId: null },
    { scanId: 's3', time: '2026-12-06T10:00:00.000Z', queueId: 'Q3', from: 'c@example.org', recipients: ['d@example.net'], messageId: "<it's-2@example.org>" },
    { scanId: 's4', time: '2026-12-06T11:00:00.000Z', queueId: 'Q4', from: 'c@example.org', recipients: ['e@example.net'], messageId: '<m-1@example.org>' },
  ],
  carriersTruncated: false,
};
const body = Buffer.from(webhookBody(event), 'utf8');
const EXPECTED_COMMANDS = [
  "would run: doveadm search -A mailbox INBOX header message-id '<m-1@example.org>'",
  "would run: doveadm expunge -A mailbox INBOX header message-id '<m-1@example.org>'",
  `would run: doveadm search -A mailbox INBOX header message-id '<it'"'"'s-2@example.org>'`,
  `would run: doveadm expunge -A mailbox INBOX header message-id '<it'"'"'s-2@example.org>'`,
];

function check(timestamp: string, signature: string, input: Buffer = body, extra: readonly string[] = []): { status: number | null; lines: string[] } {
  const r = spawnSync('python3', [SCRIPT, 'check', '--timestamp', timestamp, '--signature', signature, ...extra], { input, env, encoding: 'utf8' });
  if (r.error) throw new Error(`python3 is needed for this test: ${r.error.message}`);
  return { status: r.status, lines: r.stdout.trim().split('\n') };
}

describe('examples/retro-webhook (check: one event from stdin)', () => {
  const now = String(Math.floor(Date.now() / 1000));

  it('a signed event: prints the doveadm search and expunge for each distinct Message-ID, quoted for a shell, and runs nothing', () => {
    const r = check(now, webhookSignature(SECRET, now, body));
    expect(r.status).toBe(0);
    expect(r.lines.filter((l) => l.startsWith('would run: '))).toEqual(EXPECTED_COMMANDS);
    expect(r.lines.at(-1)).toBe('200 handled');
  });

  it('with --execute runs the commands as argument lists, no shell in between (doveadm replaced by echo)', () => {
    const r = check(now, webhookSignature(SECRET, now, body), body, ['--execute', '--doveadm', '/bin/echo']);
    expect(r.status).toBe(0);
    expect(r.lines.filter((l) => !l.startsWith('running: ') && !l.startsWith('event ') && !l.startsWith('200'))).toEqual([
      'search -A mailbox INBOX header message-id <m-1@example.org>', 'expunge -A mailbox INBOX header message-id <m-1@example.org>',
      "search -A mailbox INBOX header message-id <it's-2@example.org>", "expunge -A mailbox INBOX header message-id <it's-2@example.org>",
    ]);
  });

  it('refuses a wrong signature, a changed body, a stale timestamp and a malformed signature (exit 2, nothing to run)', () => {
    const stale = String(Number(now) - 301);
    for (const [ts, sig, input, why] of [
      [now, webhookSignature('another-secret', now, body), body, 'bad_signature'],
      [now, webhookSignature(SECRET, now, body), Buffer.concat([body, Buffer.from(' ')]), 'bad_signature'],
      [stale, webhookSignature(SECRET, stale, body), body, 'stale'],
      [now, 'sha256=zz', body, 'malformed'],
    ] as const) {
      const r = check(ts, sig, input);
      expect({ why, status: r.status, ran: r.lines.filter((l) => l.startsWith('would run')), last: r.lines.at(-1) }).toEqual({ why, status: 2, ran: [], last: `401 signature ${why}` });
    }
  });
});

describe('examples/retro-webhook (serve) receiving from avfleet\'s webhook sender', () => {
  let child: ChildProcess;
  let url: string;
  const out: string[] = [];

  beforeAll(async () => {
    child = spawn('python3', [SCRIPT, 'serve', '--listen', '127.0.0.1:0'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the receiver did not start: ${out.join('\n')}`)), 10_000);
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        out.push(...chunk.trim().split('\n'));
        const m = /listening on ([\d.]+:\d+)/.exec(chunk);
        if (m) {
          clearTimeout(timer);
          resolve(`http://${m[1]}/avfleet`);
        }
      });
      child.once('error', reject);
    });
  });
  afterAll(() => {
    child?.kill();
  });

  const send = (secret: string) => {
    const metrics = createFleetMetrics(new Registry(), { defaultMetrics: false });
    const processor = createWebhookProcessor({ target: { url, secret, timeoutMs: 5000 }, metrics, logger: NOOP_LOGGER });
    return processor({ id: `retro-${event.id}`, data: { body: body.toString('utf8') }, attemptsMade: 0, opts: { attempts: 3 } });
  };

  it('accepts the event avfleet signs (2xx: delivered), prints the commands once, and answers a retry of it without running them again', async () => {
    await send(SECRET);
    await send(SECRET);
    await new Promise((r) => setTimeout(r, 200));
    expect(out.filter((l) => l.startsWith('would run: '))).toEqual(EXPECTED_COMMANDS);
  });

  it('refuses an event signed with another secret with 401, which avfleet does not retry', async () => {
    await expect(send('not-the-secret')).rejects.toBeInstanceOf(UnrecoverableError);
    await new Promise((r) => setTimeout(r, 200));
    expect(out).toContain('refused: signature bad_signature');
  });
});
