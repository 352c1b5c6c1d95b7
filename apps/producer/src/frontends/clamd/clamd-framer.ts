import type { CommandForm } from './clamd-commands';

/** What the framer has for the session next. */
export type FramedInput =
  | { readonly kind: 'command'; readonly text: string; readonly form: CommandForm }
  /** INSTREAM ended with its zero-length chunk: the stream's bytes. */
  | { readonly kind: 'stream'; readonly body: Buffer }
  /** A chunk would take the stream past its limit (clamd: `INSTREAM size limit exceeded`). */
  | { readonly kind: 'stream-too-large' }
  /** A chunk would take all connections' streams past the shared budget (StreamBudget). */
  | { readonly kind: 'stream-over-budget' }
  /** A command longer than the bound without its terminator: the client is not speaking clamd. */
  | { readonly kind: 'command-too-long' };

/** Bytes one command line may take (a SCAN path of PATH_MAX 4096 and the command name fit). */
export const MAX_COMMAND_BYTES = 8192;

const NUL = 0x00;
const LF = 0x0a;

/**
 * clamd's framing (ClamAV's clamd/server-th.c, `get_cmd` and `handle_stream`), fed bytes as
 * they arrive and asked for one input at a time, so a session handles a command before the
 * next is framed. In command mode `z` commands end at NUL, `n` commands at `\n` (a trailing
 * `\r` dropped), and a bare legacy command at `\n` or at the end of the packet it came in.
 * In stream mode (after INSTREAM) chunks are 4-byte big-endian lengths and bytes, a zero
 * length ends the stream; the quota is checked on each chunk's announced length, before any
 * of its bytes are kept, so a hostile length never makes us buffer it.
 */
export class ClamdFramer {
  private buf: Buffer = Buffer.alloc(0);
  private stream: { chunks: Buffer[]; bytes: number; remainingInChunk: number; quota: number; reserve: (bytes: number) => boolean } | null = null;

  /** Bytes received and not yet framed (bounded by the caller pausing the socket while busy). */
  get buffered(): number {
    return this.buf.length;
  }

  /** True while an INSTREAM body is being read. */
  get streaming(): boolean {
    return this.stream !== null;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }

  /**
   * Switch to stream mode for one INSTREAM body of at most `maxBytes` bytes. `reserve` is asked
   * for each chunk's announced length before its bytes are kept (false: over the shared budget).
   */
  beginStream(maxBytes: number, reserve: (bytes: number) => boolean = () => true): void {
    this.stream = { chunks: [], bytes: 0, remainingInChunk: 0, quota: maxBytes, reserve };
  }

  /**
   * The next complete input, or null until more bytes come. `packetEnd`: the bytes buffered
   * are all that arrived so far, so a legacy command without `\n` ends here (clamd's
   * one-packet rule).
   */
  next(packetEnd: boolean): FramedInput | null {
    return this.stream ? this.nextStream() : this.nextCommand(packetEnd);
  }

  private nextCommand(packetEnd: boolean): FramedInput | null {
    if (this.buf.length === 0) return null;
    const first = this.buf[0];
    if (first === 0x7a /* z */ || first === 0x6e /* n */) {
      const term = first === 0x7a ? NUL : LF;
      const at = this.buf.indexOf(term);
      if (at < 0) return this.buf.length > MAX_COMMAND_BYTES ? { kind: 'command-too-long' } : null;
      if (at > MAX_COMMAND_BYTES) return { kind: 'command-too-long' };
      let text = this.buf.toString('latin1', 1, at);
      if (term === LF) text = text.replace(/[\r\n]+$/, '');
      this.buf = this.buf.subarray(at + 1);
      return { kind: 'command', text, form: first === 0x7a ? 'z' : 'n' };
    }
    const lf = this.buf.indexOf(LF);
    if (lf > MAX_COMMAND_BYTES || (lf < 0 && this.buf.length > MAX_COMMAND_BYTES)) return { kind: 'command-too-long' };
    if (lf < 0 && !packetEnd) return null;
    const end = lf < 0 ? this.buf.length : lf;
    const text = this.buf.toString('latin1', 0, end).replace(/[\r\n]+$/, '');
    this.buf = this.buf.subarray(lf < 0 ? end : lf + 1);
    return { kind: 'command', text, form: 'legacy' };
  }

  private nextStream(): FramedInput | null {
    const s = this.stream as NonNullable<ClamdFramer['stream']>;
    for (;;) {
      if (s.remainingInChunk > 0) {
        if (this.buf.length === 0) return null;
        const take = Math.min(s.remainingInChunk, this.buf.length);
        // A copy: the socket's buffer is not kept alive by a slice of it.
        s.chunks.push(Buffer.from(this.buf.subarray(0, take)));
        s.bytes += take;
        s.remainingInChunk -= take;
        this.buf = this.buf.subarray(take);
        continue;
      }
      if (this.buf.length < 4) return null;
      const length = this.buf.readUInt32BE(0);
      this.buf = this.buf.subarray(4);
      if (length === 0) {
        this.stream = null;
        return { kind: 'stream', body: s.chunks.length === 1 ? (s.chunks[0] as Buffer) : Buffer.concat(s.chunks, s.bytes) };
      }
      if (length > s.quota - s.bytes) {
        this.stream = null;
        this.buf = Buffer.alloc(0);
        return { kind: 'stream-too-large' };
      }
      if (!s.reserve(length)) {
        this.stream = null;
        this.buf = Buffer.alloc(0);
        return { kind: 'stream-over-budget' };
      }
      s.remainingInChunk = length;
    }
  }
}
