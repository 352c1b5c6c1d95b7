import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { EICAR_TEST_STRING, type QuarantineEntry, type ScanResult } from '@avfleet/core';
import { freePort, type Fleet } from '../helpers/fleet-processes';
import {
  quarantineApi, quarantineFleets, quarantineMessage, quarantineScan, startSmtpSink, type Delivered, type ScanEnvelope, type SmtpSink,
} from '../helpers/quarantine-fleet';
import { teardownThenDisconnect } from '../helpers/redis-prefix';
import { startPrivatePostfix, type PrivatePostfix } from '../helpers/start-postfix';
import { testServices } from '../helpers/test-services';
import { waitUntil } from '../helpers/wait-until';

/**
 * A quarantine release through a real MTA (issue 19, "release delivers the original bytes with
 * the original envelope through real SMTP"): `avfleet producer` and `avfleet worker` processes
 * quarantine EICAR messages (AVFLEET_QUARANTINE=reject, the test clamd), then
 * `POST /quarantine/{id}/release` sends each to a private Postfix (AVFLEET_RELEASE_SMTP), which
 * queues it and relays it with its own smtp client to a recording SMTP sink. The sink must see
 * the original envelope (the null sender included) and, once the Received header Postfix adds
 * and the X-Avfleet-Released header avfleet adds are taken off, the submitted bytes exactly.
 */

jest.setTimeout(60_000);

const services = testServices();
const redis = new Redis(services.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
const fleets = quarantineFleets(__filename);
const eicar = Buffer.from(EICAR_TEST_STRING, 'latin1');
let sink: SmtpSink;
let postfix: PrivatePostfix | null = null;
let fleet: Fleet;

beforeAll(async () => {
  sink = await startSmtpSink();
  const smtpPort = await freePort();
  postfix = await startPrivatePostfix({ name: 'release', listeners: [{ port: smtpPort }], relayTo: { port: sink.port } });
  ({ fleet } = await fleets.launch('postfix', { AVFLEET_ADMIN_TOKEN: 'quarantine-admin-secret', AVFLEET_RELEASE_SMTP: `127.0.0.1:${smtpPort}` }));
});

afterAll(() =>
  teardownThenDisconnect(redis, async () => {
    await fleets.cleanup(redis);
    await postfix?.stop();
    await sink?.close();
  }),
);

/**
 * The leading header fields of `raw` (each with its continuation lines) whose names are in
 * `names`, and the bytes after them: what Postfix and avfleet put on top of the message.
 */
function takeTopHeaders(raw: Buffer, names: readonly string[]): { taken: string[]; rest: Buffer } {
  const taken: string[] = [];
  let at = 0;
  for (;;) {
    const m = /^([A-Za-z0-9-]+):/.exec(raw.subarray(at, at + 100).toString('latin1'));
    if (!m || !names.includes(m[1]!.toLowerCase())) break;
    let end = at;
    do end = raw.indexOf('\r\n', end) + 2; while (end > 1 && (raw[end] === 0x20 || raw[end] === 0x09));
    taken.push(m[1]!.toLowerCase());
    at = end;
  }
  return { taken, rest: raw.subarray(at) };
}

async function quarantined(raw: Buffer, queueId: string, envelope: ScanEnvelope): Promise<ScanResult> {
  const r = await quarantineScan(fleet, raw, queueId, envelope);
  expect(r.action).toBe('reject');
  await waitUntil(async () => (await quarantineApi(fleet, 'GET', `/quarantine/${r.id}`)).status === 200, {
    timeoutMs: 5000, failureMessage: () => `scan ${r.id} was not quarantined\n${fleet.logs()}`,
  });
  return r;
}

describe('quarantine release through a private Postfix relaying to an SMTP sink', () => {
  it('delivers the original envelope (a sender and the null sender) and the original bytes, with X-Avfleet-Released and Postfix\'s Received on top', async () => {
    const tag = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    const cases = [
      { raw: quarantineMessage(eicar, `${tag}-sender`), queueId: `P${tag}1`, envelope: { from: '<bounce@example.org>', rcpt: ['one@example.net', 'two@example.net'] }, mailFrom: 'bounce@example.org' },
      { raw: quarantineMessage(eicar, `${tag}-null`), queueId: `P${tag}2`, envelope: { from: '<>', rcpt: ['three@example.net'] }, mailFrom: '' },
    ];
    const scans: ScanResult[] = [];
    for (const c of cases) scans.push(await quarantined(c.raw, c.queueId, c.envelope));
    expect(((await quarantineApi(fleet, 'GET', `/quarantine/${scans[1]!.id}`)).json as QuarantineEntry).from).toBe('');

    for (const s of scans) {
      const r = await quarantineApi(fleet, 'POST', `/quarantine/${s.id}/release`);
      expect({ id: s.id, status: r.status, json: r.json }).toMatchObject({ status: 200, json: { id: s.id } });
    }
    // Postfix queues each and relays it at once; the sink is on loopback (a few hundred ms each, 5 s doubled + 1 s).
    await waitUntil(async () => sink.mail.length >= cases.length, {
      timeoutMs: 11_000, failureMessage: () => `the sink got ${sink.mail.length} of ${cases.length} messages\n${postfix?.logTail() ?? ''}\n${fleet.logs()}`,
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.mail).toHaveLength(cases.length); // nothing delivered twice

    for (const [i, c] of cases.entries()) {
      const scan = scans[i]!;
      const got: Delivered | undefined = sink.mail.find((m) => m.raw.includes(`; scan ${scan.id}\r\n`));
      expect(got).toBeDefined();
      expect({ from: got!.from, to: got!.to }).toEqual({ from: c.mailFrom, to: c.envelope.rcpt });
      const { taken, rest } = takeTopHeaders(got!.raw, ['received', 'x-avfleet-released']);
      expect(taken).toEqual(['received', 'x-avfleet-released']);
      expect(got!.raw.toString('latin1')).toMatch(/^Received: from [^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*\tby avfleet-test\.localdomain \(Postfix\)/);
      expect(got!.raw.toString('latin1')).toMatch(new RegExp(`\\r\\nX-Avfleet-Released: \\S+ by admin:[0-9a-f]{12}; scan ${scan.id}\\r\\n`));
      expect({ scan: scan.id, identical: rest.equals(c.raw), length: rest.length }).toEqual({ scan: scan.id, identical: true, length: c.raw.length });
    }
    expect(postfix?.logTail(200)).toMatch(/status=sent/);
  });
});
