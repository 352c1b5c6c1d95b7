/**
 * The MTA side of the milter protocol, for tests: encodes the commands Postfix sends
 * (src/milter/milter8.c) and reads the milter's reply packets from a socket.
 */
import { connect, type Socket } from 'node:net';
import { SMFIC } from '../../src/frontends/milter/milter-protocol';
import { encodePacket } from '../../src/frontends/milter/encode-reply';
import { PacketReader, type MilterPacket } from '../../src/frontends/milter/packet-reader';

const z = (...parts: string[]): Buffer => Buffer.concat(parts.map((p) => Buffer.from(`${p}\0`, 'utf8')));

/** Every flag Postfix offers with milter_protocol = 6 (MILTER8_V6_PROTO_MASK). */
export const POSTFIX_V6_PROTOCOL = 0x1fffff;

export const mta = {
  optneg(version = 6, actions = 0x1ff, protocol = POSTFIX_V6_PROTOCOL): Buffer {
    const d = Buffer.alloc(12);
    d.writeUInt32BE(version, 0);
    d.writeUInt32BE(actions, 4);
    d.writeUInt32BE(protocol, 8);
    return encodePacket(SMFIC.OPTNEG, d);
  },
  macro(forCommand: string, macros: Record<string, string>): Buffer {
    return encodePacket(SMFIC.MACRO, Buffer.concat([Buffer.from(forCommand, 'latin1'), ...Object.entries(macros).map(([k, v]) => z(k, v))]));
  },
  connect(hostname: string, family: '4' | '6' | 'L' | 'U', port = 0, address = ''): Buffer {
    if (family === 'U') return encodePacket(SMFIC.CONNECT, Buffer.concat([z(hostname), Buffer.from('U')]));
    const p = Buffer.alloc(2);
    p.writeUInt16BE(port, 0);
    return encodePacket(SMFIC.CONNECT, Buffer.concat([z(hostname), Buffer.from(family), p, z(address)]));
  },
  helo: (name: string): Buffer => encodePacket(SMFIC.HELO, z(name)),
  mail: (...args: string[]): Buffer => encodePacket(SMFIC.MAIL, z(...args)),
  rcpt: (...args: string[]): Buffer => encodePacket(SMFIC.RCPT, z(...args)),
  data: (): Buffer => encodePacket(SMFIC.DATA),
  header: (name: string | Buffer, value: string | Buffer): Buffer =>
    encodePacket(SMFIC.HEADER, Buffer.concat([Buffer.from(name), Buffer.from([0]), Buffer.from(value), Buffer.from([0])])),
  eoh: (): Buffer => encodePacket(SMFIC.EOH),
  body: (chunk: string | Buffer): Buffer => encodePacket(SMFIC.BODY, Buffer.from(chunk)),
  eob: (chunk: string | Buffer = ''): Buffer => encodePacket(SMFIC.BODYEOB, Buffer.from(chunk)),
  abort: (): Buffer => encodePacket(SMFIC.ABORT),
  quit: (): Buffer => encodePacket(SMFIC.QUIT),
  quitNc: (): Buffer => encodePacket(SMFIC.QUIT_NC),
  unknown: (line: string): Buffer => encodePacket(SMFIC.UNKNOWN, z(line)),
};

/** A connection to a milter that collects its reply packets. */
export class MtaClient {
  private readonly reader = new PacketReader(16 * 1024 * 1024);
  private readonly replies: MilterPacket[] = [];
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.replies.push(...this.reader.push(chunk));
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number): Promise<MtaClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new MtaClient(s)));
      s.once('error', reject);
    });
  }

  send(...packets: Buffer[]): void {
    this.socket.write(Buffer.concat(packets));
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** The next `n` reply packets (rejects when the connection closes first or after `timeoutMs`). */
  async next(n = 1, timeoutMs = 10_000): Promise<MilterPacket[]> {
    const end = Date.now() + timeoutMs;
    while (this.replies.length < n) {
      if (this.closed) throw new Error(`connection closed after ${this.replies.length} of ${n} replies`);
      if (Date.now() > end) throw new Error(`timed out waiting for ${n} replies (have ${this.replies.length})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
    return this.replies.splice(0, n);
  }

  /** Waits until the milter closes the connection. */
  async waitClosed(timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > end) throw new Error('the milter did not close the connection');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Replies received so far and not taken. */
  get pending(): number {
    return this.replies.length;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A reply's text without its trailing NUL (SMFIR_REPLYCODE, SMFIR_ADDHEADER parts). */
export const nulParts = (p: MilterPacket): string[] => p.data.toString('utf8').split('\0').slice(0, -1);
