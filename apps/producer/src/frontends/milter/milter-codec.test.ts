import { decodeCommand } from './decode-command';
import { addHeaderReply, continueReply, encodePacket, optnegReply, replyCodeReply } from './encode-reply';
import { MilterError } from './milter-error';
import { SMFIC, SMFIP } from './milter-protocol';
import { negotiate } from './negotiate';
import { PacketReader } from './packet-reader';
import { mta } from '../../../test/milter/test-mta';

const one = (bytes: Buffer) => {
  const packets = new PacketReader(1 << 20).push(bytes);
  expect(packets).toHaveLength(1);
  return decodeCommand(packets[0]!);
};

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (err) {
    return err instanceof MilterError ? err.code : `not a MilterError: ${String(err)}`;
  }
  return undefined;
};

describe('PacketReader', () => {
  it('cuts packets at their 4-byte length, whatever the chunking', () => {
    const stream = Buffer.concat([mta.helo('mx.example.org'), mta.eoh(), mta.body('x'.repeat(70000))]);
    for (const step of [1, 3, 7, 4096, stream.length]) {
      const reader = new PacketReader(1 << 20);
      const got = [];
      for (let i = 0; i < stream.length; i += step) got.push(...reader.push(stream.subarray(i, i + step)));
      expect(got.map((p) => [p.command, p.data.length])).toEqual([['H', 15], ['N', 0], ['B', 70000]]);
      expect(reader.inPacket).toBe(false);
    }
  });

  it('says when a packet is under way', () => {
    const reader = new PacketReader(100);
    reader.push(mta.eoh().subarray(0, 2));
    expect(reader.inPacket).toBe(true);
  });

  it('refuses a zero length and a length over the bound before the data arrives', () => {
    const len = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(n, 0);
      return b;
    };
    expect(codeOf(() => new PacketReader(100).push(len(0)))).toBe('AVF_ERR_MILTER_PROTOCOL');
    expect(codeOf(() => new PacketReader(100).push(len(101)))).toBe('AVF_ERR_MILTER_PROTOCOL');
    expect(codeOf(() => new PacketReader(100).push(len(0xffffffff)))).toBe('AVF_ERR_MILTER_PROTOCOL');
    expect(new PacketReader(100).push(Buffer.concat([len(100), Buffer.alloc(100, 0x42)]))).toHaveLength(1);
  });
});

describe('decodeCommand: every command Postfix and Sendmail send', () => {
  it('OPTNEG', () => {
    expect(one(mta.optneg(6, 0x1ff, 0x1fffff))).toEqual({ kind: 'optneg', version: 6, actions: 0x1ff, protocol: 0x1fffff });
  });
  it('MACRO, for the command that follows', () => {
    const cmd = one(mta.macro('E', { i: 'ABC123', j: 'mx.example.org', '{daemon_name}': 'smtpd' }));
    expect(cmd.kind).toBe('macro');
    if (cmd.kind !== 'macro') return;
    expect(cmd.forCommand).toBe('E');
    expect([...cmd.macros]).toEqual([['i', 'ABC123'], ['j', 'mx.example.org'], ['{daemon_name}', 'smtpd']]);
  });
  it('CONNECT for IPv4, IPv6, a unix socket and an unknown family', () => {
    expect(one(mta.connect('client.example.org', '4', 44294, '192.0.2.7'))).toEqual({ kind: 'connect', hostname: 'client.example.org', family: 'inet4', port: 44294, address: '192.0.2.7' });
    expect(one(mta.connect('unknown', '6', 25, '2001:db8::1'))).toMatchObject({ family: 'inet6', port: 25, address: '2001:db8::1' });
    expect(one(mta.connect('localhost', 'L', 0, '/run/x.sock'))).toMatchObject({ family: 'unix', address: '/run/x.sock' });
    expect(one(mta.connect('localhost', 'U'))).toEqual({ kind: 'connect', hostname: 'localhost', family: 'unknown', port: null, address: null });
  });
  it('HELO, MAIL and RCPT with ESMTP arguments', () => {
    expect(one(mta.helo('mx.example.org'))).toEqual({ kind: 'helo', name: 'mx.example.org' });
    expect(one(mta.mail('<a@example.org>', 'SIZE=100', 'BODY=8BITMIME'))).toEqual({ kind: 'mail', args: ['<a@example.org>', 'SIZE=100', 'BODY=8BITMIME'] });
    expect(one(mta.rcpt('<b@example.net>'))).toEqual({ kind: 'rcpt', args: ['<b@example.net>'] });
  });
  it('HEADER keeps the bytes of name and value (folding, 8-bit)', () => {
    const value = Buffer.from(' first line\n\tsecond \xe9 line', 'latin1');
    const cmd = one(mta.header('Subject', value));
    expect(cmd.kind).toBe('header');
    if (cmd.kind !== 'header') return;
    expect(cmd.name.toString()).toBe('Subject');
    expect(cmd.value.equals(value)).toBe(true);
  });
  it('DATA, EOH, BODY, BODYEOB (with and without data), ABORT, QUIT, QUIT_NC, UNKNOWN', () => {
    expect(one(mta.data())).toEqual({ kind: 'data' });
    expect(one(mta.eoh())).toEqual({ kind: 'eoh' });
    expect(one(mta.body('line\r\n'))).toEqual({ kind: 'body', chunk: Buffer.from('line\r\n') });
    expect(one(mta.eob())).toEqual({ kind: 'eob', chunk: Buffer.alloc(0) });
    expect(one(mta.eob('tail\r\n'))).toEqual({ kind: 'eob', chunk: Buffer.from('tail\r\n') });
    expect(one(mta.abort())).toEqual({ kind: 'abort' });
    expect(one(mta.quit())).toEqual({ kind: 'quit' });
    expect(one(mta.quitNc())).toEqual({ kind: 'quit_nc' });
    expect(one(mta.unknown('XFOO bar'))).toEqual({ kind: 'unknown', line: 'XFOO bar' });
  });

  it.each([
    ['an unknown command byte', encodePacket('z', Buffer.from('x'))],
    ['a short OPTNEG', encodePacket(SMFIC.OPTNEG, Buffer.alloc(11))],
    ['a header without its value', encodePacket(SMFIC.HEADER, Buffer.from('Subject\0'))],
    ['a header without the last NUL', encodePacket(SMFIC.HEADER, Buffer.from('Subject\0value'))],
    ['a header with an empty name', encodePacket(SMFIC.HEADER, Buffer.from('\0value\0'))],
    ['a macro packet with a name and no value', encodePacket(SMFIC.MACRO, Buffer.from('Ci\0'))],
    ['an empty macro packet', encodePacket(SMFIC.MACRO)],
    ['CONNECT with an unknown family', encodePacket(SMFIC.CONNECT, Buffer.from('host\0X'))],
    ['CONNECT cut after the family', encodePacket(SMFIC.CONNECT, Buffer.from('host\x004'))],
    ['CONNECT without the address NUL', encodePacket(SMFIC.CONNECT, Buffer.from('host\x004\x00\x191.2.3.4'))],
    ['CONNECT without a NUL at all', encodePacket(SMFIC.CONNECT, Buffer.from('host'))],
    ['HELO with two strings', encodePacket(SMFIC.HELO, Buffer.from('a\0b\0'))],
    ['MAIL without arguments', encodePacket(SMFIC.MAIL)],
  ])('refuses %s with AVF_ERR_MILTER_PROTOCOL', (_name, bytes) => {
    expect(codeOf(() => one(bytes))).toBe('AVF_ERR_MILTER_PROTOCOL');
  });
});

describe('replies', () => {
  it('are length-prefixed packets with the SMFIR byte', () => {
    expect(continueReply()).toEqual(Buffer.from([0, 0, 0, 1, 0x63]));
    expect(replyCodeReply('550 5.7.1 no')).toEqual(Buffer.concat([Buffer.from([0, 0, 0, 14]), Buffer.from('y550 5.7.1 no\0')]));
    expect(addHeaderReply('X-A', ' b')).toEqual(Buffer.concat([Buffer.from([0, 0, 0, 8]), Buffer.from('hX-A\0 b\0')]));
    const o = optnegReply(6, 1, 0x1234);
    expect(o.readUInt32BE(0)).toBe(13);
    expect(o.toString('latin1', 4, 5)).toBe('O');
    expect([o.readUInt32BE(5), o.readUInt32BE(9), o.readUInt32BE(13)]).toEqual([6, 1, 0x1234]);
  });
});

describe('negotiate', () => {
  it('takes only what the MTA offers: Postfix 6 offers every flag, so no replies but the end of message', () => {
    const n = negotiate({ version: 6, actions: 0x1ff, protocol: 0x1fffff }, true);
    expect(n.version).toBe(6);
    expect(n.actions).toBe(0x01);
    for (const f of [SMFIP.NR_CONN, SMFIP.NR_HELO, SMFIP.NR_MAIL, SMFIP.NR_RCPT, SMFIP.NR_HDR, SMFIP.NR_EOH, SMFIP.NR_BODY, SMFIP.HDR_LEADSPC, SMFIP.NODATA, SMFIP.NOUNKNOWN]) {
      expect(n.protocol & f).toBe(f);
    }
    expect(n.protocol & (SMFIP.NOCONNECT | SMFIP.NOHDRS | SMFIP.NOBODY | SMFIP.NOMAIL | SMFIP.NORCPT)).toBe(0);
  });
  it('with an older MTA (protocol 2 flags only) asks for nothing it does not offer', () => {
    const n = negotiate({ version: 2, actions: 0x1f, protocol: 0x7f }, true);
    expect(n).toEqual({ version: 2, actions: 1, protocol: 0 });
  });
  it('adds no header when told not to, or when the MTA does not allow it', () => {
    expect(negotiate({ version: 6, actions: 0x1ff, protocol: 0 }, false).actions).toBe(0);
    expect(negotiate({ version: 6, actions: 0x2, protocol: 0 }, true).actions).toBe(0);
  });
  it('refuses version 1 and below', () => {
    expect(codeOf(() => negotiate({ version: 1, actions: 0, protocol: 0 }, true))).toBe('AVF_ERR_MILTER_PROTOCOL');
  });
});
