import { randomBytes } from 'node:crypto';
import { InflightBudget, NOOP_LOGGER } from '@avfleet/core';
import { seededRandom as prng } from '../../../../../test/helpers/mutate-message';
import { decodeCommand } from './decode-command';
import { FakeSubmitter, done, resultOf } from '../../../test/milter/fake-submitter';
import { MilterError } from './milter-error';
import { startMilterServer, type RunningMilter } from './milter-server';
import { PacketReader } from './packet-reader';
import { MtaClient, mta, nulParts } from '../../../test/milter/test-mta';

const VALID = [
  mta.optneg(), mta.macro('C', { j: 'x' }), mta.connect('h', '4', 1, '192.0.2.1'), mta.helo('h'), mta.mail('<a@x>'), mta.rcpt('<b@y>'),
  mta.data(), mta.header('Subject', ' s'), mta.eoh(), mta.body('b\r\n'), mta.abort(), mta.unknown('X'), mta.quitNc(),
];
const COMMANDS = 'ABCDEHKLMNOQRTUz\0\xff';

/** One hostile input: random bytes, a valid packet cut short or mutated, a random command with random data, or a huge length. */
function hostileInput(rnd: () => number): Buffer {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  switch (Math.floor(rnd() * 5)) {
    case 0:
      return randomBytes(1 + Math.floor(rnd() * 64));
    case 1: {
      const p = pick(VALID);
      return p.subarray(0, Math.floor(rnd() * p.length));
    }
    case 2: {
      const p = Buffer.from(pick(VALID));
      p[Math.floor(rnd() * p.length)] = Math.floor(rnd() * 256);
      return p;
    }
    case 3: {
      const data = randomBytes(Math.floor(rnd() * 40));
      const out = Buffer.alloc(5 + data.length);
      out.writeUInt32BE(1 + data.length, 0);
      out.write(pick([...COMMANDS]), 4, 'latin1');
      data.copy(out, 5);
      return out;
    }
    default: {
      const out = Buffer.alloc(5);
      out.writeUInt32BE(Math.floor(rnd() * 0xffffffff), 0);
      return out;
    }
  }
}

describe('fuzz: the milter reader and sessions', () => {
  it('decodes thousands of random packets to a command or AVF_ERR_MILTER_PROTOCOL, nothing else', () => {
    const rnd = prng(15);
    let decoded = 0;
    let refused = 0;
    for (let i = 0; i < 20000; i++) {
      const reader = new PacketReader(4096);
      try {
        for (const p of reader.push(hostileInput(rnd))) {
          decodeCommand(p);
          decoded++;
        }
      } catch (err) {
        if (!(err instanceof MilterError) || err.code !== 'AVF_ERR_MILTER_PROTOCOL') throw err;
        refused++;
      }
    }
    expect(decoded).toBeGreaterThan(1000);
    expect(refused).toBeGreaterThan(1000);
  });

  let server: RunningMilter;
  afterAll(async () => server?.close());

  it('hostile connections are closed or left waiting, and a good connection beside them gets every right answer', async () => {
    const fake = new FakeSubmitter((s) =>
      done(s.raw.includes('INFECTED') ? resultOf('reject', 'clamav: virus found: "Eicar"', { CLAM_VIRUS: ['Eicar'] }) : resultOf('no action', null)),
    );
    server = await startMilterServer({
      listen: { kind: 'tcp', host: '127.0.0.1', port: 0 }, maxConnections: 500, submitter: fake, logger: NOOP_LOGGER, inflight: new InflightBudget(2 ** 30),
      maxMessageBytes: 64 * 1024, deadlineSec: 30, addHeaders: true, packetTimeoutMs: 500, idleTimeoutMs: 2000, maxPacketBytes: 70000,
    });
    const port = server.port!;
    const good = await MtaClient.open(port);
    good.send(mta.optneg(), mta.connect('h', '4', 1, '192.0.2.1'));
    expect((await good.next(1))[0]!.command).toBe('O');
    const rnd = prng(7);
    const started = Date.now();
    const rssBefore = process.memoryUsage().rss;

    let round = 0;
    const hostile = (async () => {
      // 40 waves of 25 connections, each sending 1–5 hostile inputs: 1000 connections, about 3000 inputs.
      for (let wave = 0; wave < 40; wave++) {
        const conns = await Promise.all(Array.from({ length: 25 }, () => MtaClient.open(port)));
        for (const c of conns) {
          const n = 1 + Math.floor(rnd() * 5);
          c.send(...Array.from({ length: n }, () => hostileInput(rnd)));
        }
        await new Promise((r) => setTimeout(r, 20));
        for (const c of conns) c.close();
        round++;
      }
    })();

    // Meanwhile the good connection sends message after message and checks each answer.
    let answered = 0;
    while (round < 40) {
      const infected = answered % 2 === 0;
      good.send(mta.mail('<a@x>'), mta.rcpt('<b@y>'), mta.header('Subject', ` m${answered}`), mta.eoh(), mta.body(infected ? 'INFECTED\r\n' : 'clean\r\n'), mta.eob());
      const replies = await good.next(infected ? 1 : 2);
      if (infected) expect(nulParts(replies[0]!)).toEqual(['550 5.7.1 clamav: virus found: "Eicar"']);
      else expect(replies.map((p) => p.command)).toEqual(['h', 'c']);
      answered++;
    }
    await hostile;
    expect(answered).toBeGreaterThan(5);
    expect(fake.submissions.filter((s) => s.raw.toString().startsWith('Subject: m')).length).toBe(answered);
    expect(Date.now() - started).toBeLessThan(60_000);
    // Bounded memory: a thousand hostile connections leave well under 200 MB behind.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 * 1024);
    good.close();
  }, 120_000);
});
