import { EICAR_TEST_STRING } from '@avfleet/core';
import { freePort } from '../helpers/fleet-processes';
import { startFleetUnderTest, type FleetUnderTest } from '../helpers/fleet-under-test';
import { sendManyInOneSession, startPrivatePostfix, type PrivatePostfix } from '../helpers/start-postfix';
import { swaksMessage } from '../helpers/swaks';
import { waitUntil } from '../helpers/wait-until';
import { startSlowClamd, type SlowClamd } from '../simulators/slow-clamd';

/**
 * The mail path for real (issue 15, Deliver 3 and 5): Debian's Postfix with
 * `smtpd_milters = inet:127.0.0.1:<avfleet's milter port>`, `milter_protocol = 6`, driven
 * by Debian's swaks. One private Postfix, three SMTP listeners, each with its own milter:
 * a fleet whose clamav rule scans with the test clamd; a fleet whose only rule's scanner is
 * down, with `fail_action = "soft reject"`; a fleet with the clamav rule and a rule whose
 * scanner answers only after 8 s, with `AVFLEET_MILTER_DEADLINE` = 2 s; and a port where no
 * milter listens (`milter_default_action = tempfail`).
 */

jest.setTimeout(120_000);

const EICAR_NAME = 'Eicar-Test-Signature.UNOFFICIAL';

const clamavRule = `
clamav {
  scan_mime_parts = true;
  scan_text_mime = false;
  scan_image_mime = false;
  symbol = "CLAM_VIRUS";
  symbol_fail = "CLAM_VIRUS_FAIL";
  type = "clamav";
  action = "reject";
  message = '\${SCANNER}: virus found: "\${VIRUS}"';
  servers = "\${CLAMD}";
  timeout = 10;
  prefix = "\${PREFIX}clamav_";
}`;

const downRule = (server: string): string => `
down {
  type = "clamav";
  scan_mime_parts = false;
  symbol = "DOWN_VIRUS";
  symbol_fail = "DOWN_FAIL";
  servers = "${server}";
  timeout = 1;
  retransmits = 1;
  fail_action = "soft reject";
  prefix = "\${PREFIX}down_";
}`;

/** A scanner slower than the milter deadline. */
const SLOW_SCANNER_MS = 8_000;
const MILTER_DEADLINE_SEC = 2;

const slowRule = (server: string): string => `
slow {
  type = "clamav";
  scan_mime_parts = false;
  symbol = "SLOW_VIRUS";
  symbol_fail = "SLOW_FAIL";
  servers = "${server}";
  timeout = 30;
  prefix = "\${PREFIX}slow_";
}`;

function message(tag: string, attachment: Buffer | null): Buffer {
  const boundary = `b-${tag}`;
  const lines = [
    'From: Sender <a@example.org>',
    'To: b@example.net',
    `Subject: milter ${tag}`,
    `Message-ID: <${tag}.${Date.now()}@avfleet.test>`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    `Hello, this is ${tag}.`,
    '',
  ];
  if (attachment) {
    lines.push(`--${boundary}`, 'Content-Type: application/octet-stream; name="file.bin"', 'Content-Disposition: attachment; filename="file.bin"', 'Content-Transfer-Encoding: base64', '', attachment.toString('base64'), '');
  }
  lines.push(`--${boundary}--`, '');
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

let clean: FleetUnderTest | undefined;
let softReject: FleetUnderTest | undefined;
let slow: FleetUnderTest | undefined;
let slowScanner: SlowClamd | undefined;
let postfix: PrivatePostfix | undefined;
const ports = { clean: 0, softReject: 0, slow: 0, noMilter: 0 };

beforeAll(async () => {
  const [cleanMilter, softMilter, slowMilter, deadMilter, deadScanner] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  [ports.clean, ports.softReject, ports.slow, ports.noMilter] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  slowScanner = await startSlowClamd({ delayMs: SLOW_SCANNER_MS });
  clean = await startFleetUnderTest({ testFile: 'milter-postfix-clamav', conf: clamavRule, env: { AVFLEET_MILTER_LISTEN: `127.0.0.1:${cleanMilter}` } });
  softReject = await startFleetUnderTest({ testFile: 'milter-postfix-down', conf: downRule(`127.0.0.1:${deadScanner}`), env: { AVFLEET_MILTER_LISTEN: `127.0.0.1:${softMilter}` } });
  slow = await startFleetUnderTest({
    testFile: 'milter-postfix-slow', conf: clamavRule + slowRule(`127.0.0.1:${slowScanner.port}`),
    env: { AVFLEET_MILTER_LISTEN: `127.0.0.1:${slowMilter}`, AVFLEET_MILTER_DEADLINE: String(MILTER_DEADLINE_SEC) },
  });
  postfix = await startPrivatePostfix({
    name: 'milter',
    defaultAction: 'tempfail',
    contentTimeoutSec: 300,
    listeners: [
      { port: ports.clean, milter: `inet:127.0.0.1:${cleanMilter}` },
      { port: ports.softReject, milter: `inet:127.0.0.1:${softMilter}` },
      { port: ports.slow, milter: `inet:127.0.0.1:${slowMilter}` },
      { port: ports.noMilter, milter: `inet:127.0.0.1:${deadMilter}` },
    ],
  });
});

afterAll(async () => {
  await postfix?.stop();
  await clean?.close();
  await softReject?.close();
  await slow?.close();
  await slowScanner?.close();
});

const explain = (transcript: string): string => `swaks:\n${transcript}\nPostfix:\n${postfix?.logTail() ?? ''}`;

describe('Postfix → avfleet milter', () => {
  it('rejects a message carrying EICAR with 550 5.7.1 and the rule message naming the virus', async () => {
    const { verdict: reply, transcript } = await swaksMessage(ports.clean, message('eicar', Buffer.from(EICAR_TEST_STRING, 'latin1')), 120_000);
    expect({ reply, log: reply.startsWith('550') ? '' : explain(transcript) }).toEqual({ reply: `550 5.7.1 clamav: virus found: "${EICAR_NAME}"`, log: '' });
  });

  it('accepts a clean message with 250', async () => {
    const { verdict: reply, transcript } = await swaksMessage(ports.clean, message('clean', Buffer.from('just some bytes\n')), 120_000);
    expect({ code: reply.slice(0, 3), log: reply.startsWith('250') ? '' : explain(transcript) }).toEqual({ code: '250', log: '' });
    expect(reply).toMatch(/^250 2\.0\.0 Ok: queued as \w+/);
    // The milter's header, exactly as written (one space after the colon: SMFIP_HDR_LEADSPC). Postfix logs through
    // postlogd, a moment after it answers.
    const queueId = /queued as (\w+)/.exec(reply)?.[1];
    const logged = new RegExp(`${queueId}: milter-header-warning: header X-Virus-Scanned: avfleet from localhost`);
    await waitUntil(async () => logged.test(postfix!.logTail(100000)), { timeoutMs: 10_000, failureMessage: () => `no X-Virus-Scanned for ${queueId}:\n${postfix!.logTail()}` });
  });

  it('messages one after another, clean and infected, each get their own answer', async () => {
    for (const [tag, att, code] of [['a', null, '250'], ['b', Buffer.from(EICAR_TEST_STRING, 'latin1'), '550'], ['c', null, '250']] as const) {
      const { verdict: reply, transcript } = await swaksMessage(ports.clean, message(`seq-${tag}`, att), 120_000);
      expect({ tag, code: reply.slice(0, 3), log: reply.startsWith(code) ? '' : explain(transcript) }).toEqual({ tag, code, log: '' });
    }
  });

  it('several messages in one SMTP session, so over one milter connection, are each scanned and get the headers', async () => {
    const before = postfix!.logTail(100000).split('\n').length;
    const run = await sendManyInOneSession(ports.clean, message('many-clean', Buffer.from('other bytes\n')), 4);
    // Postfix logs through postlogd, a moment after it answers; the session's commands when it ends.
    const read = () => {
      const log = postfix!.logTail(100000).split('\n').slice(before);
      const scanned = new Set(log.filter((l) => / header X-Virus-Scanned: avfleet from /.test(l)).map((l) => /: ([0-9A-F]+): milter-header-warning: /.exec(l)?.[1]));
      const sessions = log.filter((l) => /smtpd\[\d+\]: disconnect from/.test(l)).map((l) => / data=\S+/.exec(l)?.[0]);
      return { log, scanned, sessions };
    };
    await waitUntil(async () => read().scanned.size >= 4 && read().sessions.length >= 1, { timeoutMs: 10_000, failureMessage: () => '' }).catch(() => undefined);
    const { log, scanned, sessions } = read();
    const why = scanned.size === 4 ? '' : `smtp-source: ${run.output}\nPostfix:\n${log.join('\n')}`;
    expect({ ok: run.ok, sessions, scanned: scanned.size, why }).toEqual({ ok: true, sessions: [' data=4'], scanned: 4, why: '' });
  });

  it('defers with 451 4.7.1 when the only rule cannot reach its scanner and has fail_action = "soft reject"', async () => {
    const { verdict: reply, transcript } = await swaksMessage(ports.softReject, message('down', null), 120_000);
    expect({ code: reply.slice(0, 9), log: reply.startsWith('451 4.7.1') ? '' : explain(transcript) }).toEqual({ code: '451 4.7.1', log: '' });
  });

  it('answers by AVFLEET_MILTER_DEADLINE with what it has when a scanner is slower: the fast rule rejects EICAR', async () => {
    const started = Date.now();
    const { verdict: reply, transcript } = await swaksMessage(ports.slow, message('slow', Buffer.from(EICAR_TEST_STRING, 'latin1')), 120_000);
    const ms = Date.now() - started;
    expect({ reply, log: reply.startsWith('550') ? '' : explain(transcript) }).toEqual({ reply: `550 5.7.1 clamav: virus found: "${EICAR_NAME}"`, log: '' });
    // The slow scanner would take 8 s; the answer comes by the deadline (limit 2× + 1 s, docs/testing.md).
    expect(ms).toBeLessThan(2 * MILTER_DEADLINE_SEC * 1000 + 1000);
  });

  it("defers by Postfix's milter_default_action (tempfail → 451) when avfleet's milter does not answer", async () => {
    const { verdict: reply, transcript } = await swaksMessage(ports.noMilter, message('nomilter', null), 120_000);
    expect({ reply, log: reply.startsWith('451') ? '' : explain(transcript) }).toEqual({ reply: '451 4.7.1 Service unavailable - try again later', log: '' });
  });
});
