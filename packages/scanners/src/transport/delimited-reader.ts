import { TransportError } from '../errors';

/**
 * "Read until a delimiter" (docs/scanners.md, common): bytes are buffered as they
 * arrive; `readUntil(X)` resolves with the bytes *before* the first X (X is
 * consumed, not returned) and leaves whatever follows buffered for the next
 * read. If the stream ends (or fails) before X arrives, the read rejects.
 *
 * The reader keeps bytes that arrived before a failure: a read that can be
 * answered from the buffer still succeeds after `fail()` — this is how a
 * clamd reply that came in before a write error (EPIPE) is not lost.
 */
interface PendingRead {
  readonly delimiter: Buffer | null;
  readonly resolve: (b: Buffer) => void;
  readonly reject: (e: Error) => void;
}

export class DelimitedReader {
  private buf: Buffer = Buffer.alloc(0);
  private ended = false;
  private error: Error | null = null;
  private pending: PendingRead | null = null;
  private readonly server: string | undefined;

  constructor(server?: string) {
    this.server = server;
  }

  /** Bytes received and not yet consumed. */
  get buffered(): number {
    return this.buf.length;
  }

  private get isEnded(): boolean {
    return this.ended || this.error !== null;
  }

  /** True when a `readUntil(delimiter)` would resolve right now. */
  has(delimiter: Buffer | string): boolean {
    return this.buf.indexOf(toBuffer(delimiter)) >= 0;
  }

  push(chunk: Buffer): void {
    if (this.isEnded || chunk.length === 0) return;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.settle();
  }

  /** The peer closed cleanly (no more bytes will come). */
  end(): void {
    if (this.isEnded) return;
    this.ended = true;
    this.settle();
  }

  /** The stream failed; pending and later reads that the buffer cannot answer reject with `error`. */
  fail(error: Error): void {
    if (this.isEnded) return;
    this.error = error;
    this.settle();
  }

  /** Resolves with the bytes before the first `delimiter`. One read at a time. */
  readUntil(delimiter: Buffer | string): Promise<Buffer> {
    const d = toBuffer(delimiter);
    if (d.length === 0) return Promise.reject(new RangeError('readUntil needs a non-empty delimiter'));
    return this.enqueue(d);
  }

  /** Resolves with every byte up to a clean end of stream. */
  readToEnd(): Promise<Buffer> {
    return this.enqueue(null);
  }

  private enqueue(delimiter: Buffer | null): Promise<Buffer> {
    if (this.pending) return Promise.reject(new Error('DelimitedReader: a read is already pending'));
    return new Promise<Buffer>((resolve, reject) => {
      this.pending = { delimiter, resolve, reject };
      this.settle();
    });
  }

  private settle(): void {
    const p = this.pending;
    if (!p) return;
    if (p.delimiter) {
      const at = this.buf.indexOf(p.delimiter);
      if (at >= 0) {
        const out = this.buf.subarray(0, at);
        this.buf = this.buf.subarray(at + p.delimiter.length);
        this.pending = null;
        p.resolve(out);
        return;
      }
    } else if (this.ended && !this.error) {
      const out = this.buf;
      this.buf = Buffer.alloc(0);
      this.pending = null;
      p.resolve(out);
      return;
    }
    if (this.error) {
      this.pending = null;
      p.reject(this.error);
    } else if (this.ended) {
      this.pending = null;
      const what = p.delimiter ? ` before the expected delimiter ${JSON.stringify(p.delimiter.toString('latin1'))}` : '';
      const message = `server closed the connection${what} (${this.buf.length} bytes received); check the scanner's logs`;
      p.reject(new TransportError('AVF_ERR_TRANSPORT_CLOSED', message, { server: this.server }));
    }
  }
}

function toBuffer(d: Buffer | string): Buffer {
  return typeof d === 'string' ? Buffer.from(d, 'latin1') : d;
}
