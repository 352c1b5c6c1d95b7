import { createConnection } from 'node:net';
import {
  IntakeError, InflightBudget, MAX_ADDRESS_BYTES, MAX_HOST_BYTES, MAX_META_BYTES, MAX_QUEUE_ID_BYTES, MAX_RECIPIENTS, NOOP_LOGGER, type Logger,
} from '@avfleet/core';
import { FakeSubmitter, done, resultOf } from '../../../test/milter/fake-submitter';
import { startMilterServer, type RunningMilter } from './milter-server';
import type { MilterSessionDeps } from './milter-session';
import { MtaClient, mta, nulParts } from '../../../test/milter/test-mta';

const EICAR_NAME = 'Eicar-Test-Signature.UNOFFICIAL';

/** Infected when the body says so; the other verdicts by marker words. */
const submitter = () =>
  new FakeSubmitter((s) => {
    const raw = s.raw.toString('latin1');
    if (raw.includes('INFECTED')) return done(resultOf('reject', `clamav: virus found: "${EICAR_NAME}" 100% sure\r\nyes`, { CLAM_VIRUS: [EICAR_NAME] }));
    if (raw.includes('SCANNER-DOWN')) return done(resultOf('soft reject', 'clamav: failed to scan, try again', { CLAM_VIRUS_FAIL: ['connection refused'] }));
    if (raw.includes('QUEUE-FULL')) throw new IntakeError('AVF_ERR_QUEUE_FULL', 'full', 7);
    if (raw.includes('REDIS-DOWN')) throw new IntakeError('AVF_ERR_UNAVAILABLE', 'down', 5);
    if (raw.includes('BUG')) throw new TypeError('boom');
    if (raw.includes('UNFINISHED')) return { done: false, scanId: 'x', messageId: null };
    return done(resultOf('no action', null));
  });

let server: RunningMilter;
let fake: FakeSubmitter;

async function start(over: Partial<MilterSessionDeps> & { maxConnections?: number } = {}): Promise<void> {
  fake = submitter();
  server = await startMilterServer({
    listen: { kind: 'tcp', host: '127.0.0.1', port: 0 }, maxConnections: over.maxConnections ?? 50,
    submitter: fake, logger: NOOP_LOGGER, inflight: new InflightBudget(2 ** 30), maxMessageBytes: 64 * 1024, deadlineSec: 30, addHeaders: true, ...over,
  });
}
afterEach(async () => server?.close());

/** Postfix's sequence for one message (protocol 6, every NR_* flag granted: only OPTNEG and EOB answered). */
function message(opts: { queueId: string; from: string; rcpt: string[]; headers: Array<[string, string]>; body: string[] }): Buffer[] {
  return [
    mta.macro('M', { i: opts.queueId, '{auth_type}': '' }),
    mta.mail(`<${opts.from}>`, 'SIZE=123'),
    ...opts.rcpt.map((r) => mta.rcpt(`<${r}>`)),
    mta.macro('L', { i: opts.queueId }),
    ...opts.headers.map(([n, v]) => mta.header(n, v)),
    mta.eoh(),
    ...opts.body.map((b) => mta.body(b)),
    mta.macro('E', { i: opts.queueId }),
    mta.eob(),
  ];
}

async function negotiated(c: MtaClient): Promise<void> {
  c.send(mta.optneg(), mta.macro('C', { j: 'mx.example.org', '{daemon_name}': 'smtpd' }), mta.connect('client.example.org', '4', 40000, '192.0.2.7'), mta.helo('client.example.org'));
  const [opt] = await c.next(1);
  expect(opt!.command).toBe('O');
}

describe('a milter session over a real socket', () => {
  it('negotiates, answers only the end of message, and rebuilds the message byte for byte with its envelope', async () => {
    await start();
    const c = await MtaClient.open(server.port!);
    await negotiated(c);
    c.send(...message({
      queueId: '4XyZ1', from: 'a@example.org', rcpt: ['b@example.net', 'c@example.net'],
      headers: [['Subject', ' hello\n\tfolded'], ['From', ' A <a@example.org>'], ['X-Tab', '\tv'], ['X-Empty', '']],
      body: ['line one\r\n', 'line two\r\n'],
    }));
    const replies = await c.next(2);
    expect(replies.map((r) => r.command)).toEqual(['h', 'c']);
    // HDR_LEADSPC is in force: the value carries its own leading space.
    expect(nulParts(replies[0]!)).toEqual(['X-Virus-Scanned', ' avfleet']);
    expect(fake.submissions).toHaveLength(1);
    const s = fake.submissions[0]!;
    expect(s.raw.toString('latin1')).toBe('Subject: hello\r\n\tfolded\r\nFrom: A <a@example.org>\r\nX-Tab:\tv\r\nX-Empty:\r\n\r\nline one\r\nline two\r\n');
    expect(s.meta).toMatchObject({ ip: '192.0.2.7', hostname: 'client.example.org', helo: 'client.example.org', from: 'a@example.org', rcpt: ['b@example.net', 'c@example.net'], queueId: '4XyZ1', deadlineSec: 30 });
    expect(s.waitSec).toBe(30);
    c.close();
  });

  it('adds the symbols header for an accepted message that has symbols, and none at all with AVFLEET_MILTER_HEADERS=off', async () => {
    fake = new FakeSubmitter(() => done(resultOf('add header', null, { CLAM_VIRUS: ['Some.Name'], OTHER: [] })));
    server = await startMilterServer({ listen: { kind: 'tcp', host: '127.0.0.1', port: 0 }, maxConnections: 5, submitter: fake, logger: NOOP_LOGGER, inflight: new InflightBudget(2 ** 30), maxMessageBytes: 4096, deadlineSec: 30, addHeaders: true });
    const c = await MtaClient.open(server.port!);
    await negotiated(c);
    c.send(...message({ queueId: 'Q1', from: 'a@x', rcpt: ['b@y'], headers: [['Subject', ' s']], body: ['b\r\n'] }));
    const r = await c.next(3);
    expect(r.map(nulParts).slice(0, 2)).toEqual([['X-Virus-Scanned', ' avfleet'], ['X-Avfleet-Symbols', ' CLAM_VIRUS(Some.Name), OTHER']]);
    c.close();
    await server.close();

    await start({ addHeaders: false });
    const d = await MtaClient.open(server.port!);
    d.send(mta.optneg());
    const [opt] = await d.next(1);
    expect(opt!.data.readUInt32BE(4)).toBe(0); // no SMFIF_ADDHDRS asked for
    d.send(...message({ queueId: 'Q2', from: 'a@x', rcpt: ['b@y'], headers: [['Subject', ' s']], body: ['b\r\n'] }));
    expect((await d.next(1)).map((p) => p.command)).toEqual(['c']);
    d.close();
  });

  it('several messages on one connection, each with its own verdict and envelope; ABORT drops the message in progress', async () => {
    await start();
    const c = await MtaClient.open(server.port!);
    await negotiated(c);
    c.send(...message({ queueId: 'Q1', from: 'a@x', rcpt: ['b@y'], headers: [['Subject', ' one']], body: ['INFECTED\r\n'] }));
    const [rej] = await c.next(1);
    expect(rej!.command).toBe('y');
    // The rule's message, on one line, with % doubled for the MTA.
    expect(nulParts(rej!)).toEqual([`550 5.7.1 clamav: virus found: "${EICAR_NAME}" 100%% sure yes`]);

    // Half a message, then ABORT: nothing is submitted for it.
    c.send(mta.macro('M', { i: 'Q2' }), mta.mail('<half@x>'), mta.rcpt('<b@y>'), mta.header('Subject', ' INFECTED'), mta.abort());
    c.send(...message({ queueId: 'Q3', from: 'clean@x', rcpt: ['d@y'], headers: [['Subject', ' three']], body: ['clean\r\n'] }));
    const ok = await c.next(2);
    expect(ok.map((p) => p.command)).toEqual(['h', 'c']);

    c.send(...message({ queueId: 'Q4', from: 'a@x', rcpt: ['b@y'], headers: [['Subject', ' four']], body: ['SCANNER-DOWN\r\n'] }));
    expect(nulParts((await c.next(1))[0]!)).toEqual(['451 4.7.1 clamav: failed to scan, try again']);

    expect(fake.submissions.map((s) => [s.meta.queueId, s.meta.from, s.meta.rcpt])).toEqual([
      ['Q1', 'a@x', ['b@y']], ['Q3', 'clean@x', ['d@y']], ['Q4', 'a@x', ['b@y']],
    ]);
    expect(fake.submissions[1]!.raw.toString()).toBe('Subject: three\r\n\r\nclean\r\n');
    c.close();
  });

  it('QUIT_NC starts a new SMTP connection on the same socket: the new client address is used', async () => {
    await start();
    const c = await MtaClient.open(server.port!);
    await negotiated(c);
    c.send(mta.quitNc(), mta.connect('other.example.org', '6', 1, 'IPv6:2001:db8::5'), mta.helo('other'));
    c.send(...message({ queueId: 'Q9', from: 'z@x', rcpt: ['b@y'], headers: [['Subject', ' s']], body: ['x\r\n'] }));
    await c.next(2);
    expect(fake.submissions[0]!.meta).toMatchObject({ ip: '2001:db8::5', hostname: 'other.example.org', helo: 'other', queueId: 'Q9' });
    c.send(mta.quit());
    await c.waitClosed();
  });

  it('bounds the envelope as it arrives (README "Limits"): long values cut with the marker, recipients past the bounds dropped; the message is still scanned and answered, and one log line says what was cut', async () => {
    const logged: Record<string, unknown>[] = [];
    const logger = { ...NOOP_LOGGER, child: () => logger, warn: (obj: Record<string, unknown>) => void logged.push(obj) } as unknown as Logger;
    await start({ logger });
    const c = await MtaClient.open(server.port!);
    const longHost = `${'h'.repeat(100_000)}.example.org`;
    c.send(mta.optneg(), mta.connect(longHost, '4', 40000, '192.0.2.7'), mta.helo('e'.repeat(200_000)));
    expect((await c.next(1))[0]!.command).toBe('O');
    const rcpt = Array.from({ length: MAX_RECIPIENTS + 500 }, (_, i) => `r${i}@example.net`);
    c.send(...message({ queueId: 'Q'.repeat(5000), from: `${'s'.repeat(900_000)}@example.org`, rcpt: [`${'x'.repeat(500_000)}@example.net`, ...rcpt], headers: [['Subject', ' INFECTED']], body: ['x\r\n'] }));
    expect(nulParts((await c.next(1))[0]!)[0]).toMatch(/^550 5\.7\.1 /);
    const meta = fake.submissions[0]!.meta;
    expect(Buffer.byteLength(meta.hostname!)).toBeLessThanOrEqual(MAX_HOST_BYTES);
    expect(meta.hostname!.endsWith('.example.org')).toBe(true);
    expect(Buffer.byteLength(meta.helo!)).toBeLessThanOrEqual(MAX_HOST_BYTES);
    expect(Buffer.byteLength(meta.from!)).toBeLessThanOrEqual(MAX_ADDRESS_BYTES);
    expect(Buffer.byteLength(meta.queueId!)).toBeLessThanOrEqual(MAX_QUEUE_ID_BYTES);
    expect(meta.rcpt).toHaveLength(MAX_RECIPIENTS);
    expect(Buffer.byteLength(meta.rcpt[0])).toBeLessThanOrEqual(MAX_ADDRESS_BYTES);
    expect(meta.rcpt.slice(1)).toEqual(rcpt.slice(0, MAX_RECIPIENTS - 1));
    for (const v of [meta.hostname, meta.helo, meta.from, meta.queueId, meta.rcpt[0]]) expect(v).toMatch(/…\[\d+ bytes cut\]…/);
    const total = [meta.ip, meta.helo, meta.hostname, meta.from, meta.queueId, ...meta.rcpt].reduce((n, v) => n + Buffer.byteLength(v ?? ''), 0);
    expect(total).toBeLessThanOrEqual(MAX_META_BYTES);
    const cutLines = logged.filter((l) => l.code === 'AVF_WARN_REQUEST_META_CUT');
    expect(cutLines).toHaveLength(1);
    expect(new Set(cutLines[0]!.fields as string[])).toEqual(new Set(['hostname', 'helo', 'from', 'rcpt', 'queueId']));
    expect(cutLines[0]!.rcptDropped).toBe(501);

    // The next message on the connection: the client and HELO stay (cut), the envelope starts afresh.
    c.send(...message({ queueId: 'Q2', from: 'a@x', rcpt: ['b@y'], headers: [['Subject', ' s']], body: ['x\r\n'] }));
    await c.next(2);
    expect(fake.submissions[1]!.meta).toMatchObject({ helo: meta.helo, hostname: meta.hostname, from: 'a@x', rcpt: ['b@y'], queueId: 'Q2' });
    expect(logged.filter((l) => l.code === 'AVF_WARN_REQUEST_META_CUT').map((l) => l.fields)).toEqual([expect.any(Array), ['hostname', 'helo']]);
    c.close();
  });

  it('tempfails refusals and failures: queue full, outage, no verdict in time, a bug', async () => {
    await start();
    const c = await MtaClient.open(server.port!);
    await negotiated(c);
    const replyFor = async (marker: string) => {
      c.send(...message({ queueId: 'Q', from: 'a@x', rcpt: ['b@y'], headers: [['Subject', ` ${marker}`]], body: ['x\r\n'] }));
      return nulParts((await c.next(1))[0]!)[0];
    };
    expect(await replyFor('QUEUE-FULL')).toBe('451 4.7.1 avfleet: too many messages wait to be scanned, try again in 7 s');
    expect(await replyFor('REDIS-DOWN')).toBe('451 4.7.1 avfleet: the scanning service is unavailable, try again in 5 s');
    expect(await replyFor('UNFINISHED')).toBe('451 4.7.1 avfleet: the scan did not finish in time, try again later');
    expect(await replyFor('BUG')).toBe('451 4.3.0 avfleet: internal error, try again later');
    c.close();
  });

  it('a message over AVFLEET_MAX_MESSAGE_BYTES is answered 552 5.3.4 without being submitted; the next one is scanned', async () => {
    await start({ maxMessageBytes: 1000 });
    const c = await MtaClient.open(server.port!);
    await negotiated(c);
    c.send(...message({ queueId: 'BIG', from: 'a@x', rcpt: ['b@y'], headers: [['Subject', ' big']], body: ['x'.repeat(600), 'y'.repeat(600)] }));
    expect(nulParts((await c.next(1))[0]!)).toEqual(['552 5.3.4 avfleet: message too big to scan (over 1000 bytes)']);
    c.send(...message({ queueId: 'SMALL', from: 'a@x', rcpt: ['b@y'], headers: [['Subject', ' small']], body: ['x'.repeat(900)] }));
    expect((await c.next(2)).map((p) => p.command)).toEqual(['h', 'c']);
    expect(fake.submissions.map((s) => s.meta.queueId)).toEqual(['SMALL']);
    c.close();
  });

  it('a message the in-flight budget cannot hold is answered 451 4.3.2 without being submitted; its bytes come back and the next one is scanned', async () => {
    const inflight = new InflightBudget(2000);
    await start({ inflight, maxMessageBytes: 1500 });
    // Another front end holds 1000 bytes of the 2000.
    const other = inflight.open();
    other.take(1000);
    const c = await MtaClient.open(server.port!);
    await negotiated(c);
    c.send(...message({ queueId: 'BUSY', from: 'a@x', rcpt: ['b@y'], headers: [['Subject', ' busy']], body: ['x'.repeat(600), 'y'.repeat(600)] }));
    expect(nulParts((await c.next(1))[0]!)).toEqual(['451 4.3.2 avfleet: too many messages are being received, try again in 2 s']);
    expect(inflight.reserved).toBe(1000);
    other.release();
    c.send(...message({ queueId: 'FITS', from: 'a@x', rcpt: ['b@y'], headers: [['Subject', ' fits']], body: ['x'.repeat(600), 'y'.repeat(600)] }));
    expect((await c.next(2)).map((p) => p.command)).toEqual(['h', 'c']);
    expect(fake.submissions.map((s) => s.meta.queueId)).toEqual(['FITS']);
    expect(inflight.reserved).toBe(0);
    c.close();
  });

  it('an MTA that negotiates no NR_* flags gets SMFIR_CONTINUE for every event, and headers without their leading space', async () => {
    await start();
    const c = await MtaClient.open(server.port!);
    c.send(mta.optneg(6, 0x1ff, 0));
    await c.next(1);
    c.send(mta.connect('h', '4', 1, '192.0.2.1'), mta.helo('h'), mta.mail('<a@x>'), mta.rcpt('<b@y>'), mta.data(), mta.header('Subject', 'plain'), mta.eoh(), mta.body('b\r\n'), mta.unknown('XX'), mta.eob());
    const r = await c.next(11);
    expect(r.map((p) => p.command).join('')).toBe('ccccccccchc');
    expect(nulParts(r[9]!)).toEqual(['X-Virus-Scanned', 'avfleet']);
    expect(fake.submissions[0]!.raw.toString()).toBe('Subject: plain\r\n\r\nb\r\n');
    c.close();
  });

  it('closes a connection that sends garbage, an oversize length or drips a packet, and keeps serving the others', async () => {
    await start({ packetTimeoutMs: 300, maxPacketBytes: 70000 });
    const good = await MtaClient.open(server.port!);
    await negotiated(good);
    const garbage = await MtaClient.open(server.port!);
    garbage.send(Buffer.from('EHLO hello\r\nGET / HTTP/1.1\r\n\r\n'));
    await garbage.waitClosed();
    const huge = await MtaClient.open(server.port!);
    huge.send(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0x42]));
    await huge.waitClosed();
    const drip = await MtaClient.open(server.port!);
    drip.send(mta.helo('slow').subarray(0, 3));
    const dripStart = Date.now();
    const dripTimer = setInterval(() => drip.socket.write(Buffer.alloc(0)), 50);
    await drip.waitClosed(5000);
    clearInterval(dripTimer);
    expect(Date.now() - dripStart).toBeLessThan(2 * 300 + 1000);
    good.send(...message({ queueId: 'G', from: 'a@x', rcpt: ['b@y'], headers: [['Subject', ' s']], body: ['INFECTED\r\n'] }));
    expect(nulParts((await good.next(1))[0]!)[0]).toMatch(/^550 5\.7\.1 clamav: virus found/);
    good.close();
  });

  it('closes a connection that sends events needing replies and never reads them, before the replies pile up', async () => {
    await start();
    const good = await MtaClient.open(server.port!);
    await negotiated(good);
    const deaf = createConnection(server.port!, '127.0.0.1');
    await new Promise<void>((resolve) => deaf.once('connect', () => resolve()));
    deaf.pause(); // never reads
    let closed = false;
    deaf.on('close', () => (closed = true));
    deaf.on('error', () => undefined);
    // No option negotiation: every HELO (7 bytes) gets SMFIR_CONTINUE (5 bytes). The kernel's socket
    // buffers take the first megabytes of unread replies; then the milter's own buffer fills.
    const burst = Buffer.concat(Array.from({ length: 10_000 }, () => mta.helo('x')));
    for (let sent = 0; sent < 200 * 1024 * 1024 && !closed; sent += burst.length) {
      if (!deaf.write(burst)) await new Promise<void>((resolve) => (deaf.once('drain', () => resolve()), deaf.once('close', () => resolve())));
    }
    const end = Date.now() + 10_000;
    while (!closed && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(true);
    good.send(...message({ queueId: 'G', from: 'a@x', rcpt: ['b@y'], headers: [['Subject', ' s']], body: ['x\r\n'] }));
    expect((await good.next(2)).map((p) => p.command)).toEqual(['h', 'c']);
    good.close();
  }, 60_000);

  it('closes an idle connection after the idle timeout, and connections past the limit at once', async () => {
    await start({ idleTimeoutMs: 300, maxConnections: 2 });
    const a = await MtaClient.open(server.port!);
    const b = await MtaClient.open(server.port!);
    await new Promise((r) => setTimeout(r, 50));
    const third = await MtaClient.open(server.port!);
    await third.waitClosed(2000);
    await a.waitClosed(2 * 300 + 1000);
    await b.waitClosed(2 * 300 + 1000);
  });

  it('a graceful stop answers the verdict in flight, then closes', async () => {
    let release: () => void = () => undefined;
    fake = new FakeSubmitter(() => new Promise((resolve) => (release = () => resolve(done(resultOf('no action', null))))));
    server = await startMilterServer({ listen: { kind: 'tcp', host: '127.0.0.1', port: 0 }, maxConnections: 5, submitter: fake, logger: NOOP_LOGGER, inflight: new InflightBudget(2 ** 30), maxMessageBytes: 4096, deadlineSec: 30, addHeaders: false });
    const c = await MtaClient.open(server.port!);
    await negotiated(c);
    c.send(...message({ queueId: 'Q', from: 'a@x', rcpt: ['b@y'], headers: [['Subject', ' s']], body: ['x\r\n'] }));
    while (fake.submissions.length === 0) await new Promise((r) => setTimeout(r, 10));
    const stopping = server.close();
    release();
    expect((await c.next(1)).map((p) => p.command)).toEqual(['c']);
    await stopping;
    await c.waitClosed();
  });
});
