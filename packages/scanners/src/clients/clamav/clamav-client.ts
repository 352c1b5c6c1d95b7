import type { Readable } from 'node:stream';
import { TransportError } from '../../errors';
import type { Scanner, ScanBody, ScanContext } from '../../scanner';
import type { SocketScannerOptions } from '../../scanner-options';
import { SocketConnection } from '../../transport/socket-connection';
import { UpstreamList } from '../../transport/upstream-list';
import { withRetransmits, type AttemptContext } from '../../transport/with-retransmits';
import { fail, type Verdict } from '../../verdict';
import { isClamavSizeLimitReply, mapClamavReply, parseClamavVersion } from './clamav-reply';

export interface ClamavClientOptions extends SocketScannerOptions {
  /** Body bytes per INSTREAM chunk (default 64 KiB). */
  readonly chunkSize?: number;
  /** How long a VERSION answer is reused (default 60 s). */
  readonly versionCacheSec?: number;
  /** Clock for the VERSION cache (tests). */
  readonly now?: () => number;
}

export const CLAMAV_DEFAULT_CHUNK_SIZE = 64 * 1024;
const INSTREAM = Buffer.from('zINSTREAM\0', 'latin1');
const VERSION = Buffer.from('zVERSION\0', 'latin1');
const END_OF_STREAM = Buffer.alloc(4);
const NUL = Buffer.from([0]);

/**
 * ClamAV clamd over TCP or a unix socket with `zINSTREAM` (scanners.md "clamav"):
 * one connection per attempt, the body streamed in length-prefixed chunks.
 */
export class ClamavClient implements Scanner {
  readonly type = 'clamav';
  readonly upstreams: UpstreamList;
  private readonly options: ClamavClientOptions;
  private readonly chunkSize: number;
  private readonly now: () => number;
  private version: { value: string | null; at: number } | null = null;
  private versionInFlight: Promise<string | null> | null = null;

  constructor(options: ClamavClientOptions) {
    this.options = options;
    this.chunkSize = Math.max(1, options.chunkSize ?? CLAMAV_DEFAULT_CHUNK_SIZE);
    this.now = options.now ?? Date.now;
    this.upstreams = new UpstreamList(options.servers, { ...(options.upstream ?? {}), now: this.now });
  }

  async scan(body: ScanBody, ctx: ScanContext = {}): Promise<Verdict> {
    try {
      const out = await withRetransmits(this.upstreams, this.retransmitOptions(ctx), (a) => this.scanAttempt(body, a));
      return out.ok ? out.value : out.verdict;
    } catch (e) {
      // Never a rejected promise (Scanner contract).
      return fail(`scan failed: ${e instanceof Error ? e.message : String(e)}`, 'error');
    }
  }

  /**
   * The signature database version from `zVERSION` (`ClamAV 1.4.6/27412/…` → `27412`), or
   * null when clamd reports none. Cached for `versionCacheSec`. Rejects with a TransportError
   * when no server answers and nothing was cached before (an older value is served instead).
   */
  signatureVersion(): Promise<string | null> {
    const ttl = (this.options.versionCacheSec ?? 60) * 1000;
    if (this.version && this.now() - this.version.at < ttl) return Promise.resolve(this.version.value);
    if (!this.versionInFlight) {
      this.versionInFlight = this.fetchVersion().finally(() => {
        this.versionInFlight = null;
      });
    }
    return this.versionInFlight;
  }

  async isReady(): Promise<boolean> {
    return this.upstreams.isReady();
  }

  serversDown(): number {
    return this.upstreams.downCount();
  }

  async close(): Promise<void> {
    // One connection per attempt: nothing stays open between scans.
  }

  private retransmitOptions(ctx: ScanContext) {
    return {
      timeoutSec: this.options.timeoutSec,
      retransmits: this.options.retransmits,
      ...(this.options.onAttempt ? { onAttempt: this.options.onAttempt } : {}),
      ...(ctx.deadlineMs !== undefined ? { deadlineMs: ctx.deadlineMs } : {}),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    };
  }

  private async fetchVersion(): Promise<string | null> {
    const out = await withRetransmits(this.upstreams, this.retransmitOptions({}), async (a) => {
      const conn = await SocketConnection.connect(a.upstream.address, connectOptions(a));
      try {
        await conn.write(VERSION, { flush: true });
        a.markHealthy();
        return (await conn.readUntil(NUL)).toString('utf8');
      } finally {
        conn.close();
      }
    });
    if (out.ok) {
      this.version = { value: parseClamavVersion(out.value), at: this.now() };
      return this.version.value;
    }
    if (this.version) return this.version.value;
    if (out.error instanceof TransportError) throw out.error;
    throw new TransportError('AVF_ERR_TRANSPORT_NO_UPSTREAM', `cannot read the clamd signature version: ${out.verdict.text}`);
  }

  /** One INSTREAM exchange. Throws TransportError on I/O errors (retried); returns the mapped reply. */
  private async scanAttempt(body: ScanBody, a: AttemptContext): Promise<Verdict> {
    const conn = await SocketConnection.connect(a.upstream.address, connectOptions(a));
    let source: Readable | null = null;
    try {
      try {
        await conn.write(INSTREAM);
        if (body.buffer) {
          await this.writeChunks(conn, body.buffer);
        } else {
          source = await openBody(body);
          for await (const chunk of source as AsyncIterable<Buffer | string>) {
            if (conn.hasReply(NUL)) break; // clamd answered early (size limit): stop writing.
            await this.writeChunks(conn, typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
          }
        }
        if (!conn.hasReply(NUL)) {
          await conn.write(END_OF_STREAM, { flush: true });
          a.markHealthy();
        }
      } catch (e) {
        // A write error may follow a reply clamd sent before closing (size limit): read it first.
        if (e instanceof TransportError && conn.hasReply(NUL)) return this.replyAfterWriteError(await conn.readUntil(NUL), e);
        throw e;
      }
      return mapClamavReply((await conn.readUntil(NUL)).toString('utf8'));
    } finally {
      source?.destroy();
      conn.close();
    }
  }

  private replyAfterWriteError(raw: Buffer, e: TransportError): Verdict {
    const reply = raw.toString('utf8');
    if (isClamavSizeLimitReply(reply)) return mapClamavReply(reply);
    // Some other early answer followed by a broken write: treat as an I/O error (retry).
    throw e;
  }

  private async writeChunks(conn: SocketConnection, data: Buffer): Promise<void> {
    for (let off = 0; off < data.length; off += this.chunkSize) {
      if (conn.hasReply(NUL)) return;
      const part = data.subarray(off, Math.min(data.length, off + this.chunkSize));
      const header = Buffer.allocUnsafe(4);
      header.writeUInt32BE(part.length, 0);
      void conn.write(header).catch(() => undefined); // its failure surfaces on the next write
      await conn.write(part);
    }
  }
}

function connectOptions(a: AttemptContext): { deadlineMs: number; signal?: AbortSignal } {
  return a.signal ? { deadlineMs: a.deadlineMs, signal: a.signal } : { deadlineMs: a.deadlineMs };
}

async function openBody(body: ScanBody): Promise<Readable> {
  try {
    return await body.open();
  } catch (e) {
    throw new Error(`cannot open the body to scan: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
