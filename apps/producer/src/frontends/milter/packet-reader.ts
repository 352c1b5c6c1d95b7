import { MilterError } from './milter-error';

/** One milter packet: its command byte and its data. */
export interface MilterPacket {
  readonly command: string;
  readonly data: Buffer;
}

/**
 * Cuts a byte stream into milter packets (4-byte big-endian length, then that many bytes:
 * the command byte and the data). Holds at most one unfinished packet, never more than
 * `maxPacketBytes` + 4 bytes: a declared length of 0 or over the bound throws
 * AVF_ERR_MILTER_PROTOCOL before its data arrives.
 */
export class PacketReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Length of the packet being read (after its 4-byte prefix), or null before the prefix is complete. */
  private expected: number | null = null;

  constructor(private readonly maxPacketBytes: number) {}

  /** True while part of a packet has arrived and the rest has not. */
  get inPacket(): boolean {
    return this.buffered > 0 || this.expected !== null;
  }

  /** The packets completed by `chunk`, in order. */
  push(chunk: Buffer): MilterPacket[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: MilterPacket[] = [];
    for (;;) {
      if (this.expected === null) {
        if (this.buffered < 4) break;
        const length = this.take(4).readUInt32BE(0);
        if (length < 1 || length > this.maxPacketBytes) {
          throw new MilterError('AVF_ERR_MILTER_PROTOCOL', `milter packet length ${length} is outside 1..${this.maxPacketBytes}; closing the connection (is the peer an MTA speaking milter protocol 6?)`);
        }
        this.expected = length;
      }
      if (this.buffered < this.expected) break;
      const packet = this.take(this.expected);
      this.expected = null;
      out.push({ command: String.fromCharCode(packet[0] as number), data: packet.subarray(1) });
    }
    return out;
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.buffered);
    const head = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return head;
  }
}
