import { RefreshedValue } from '../../refreshed-value';
import type { Readable } from 'node:stream';
import { TransportError } from '../../errors';
import type { ScanBody, ScanContext } from '../../scanner';
import type { ScannerCommonOptions } from '../../scanner-options';
import type { SocketConnection } from '../../transport/socket-connection';
import { withRetransmits, type AttemptContext } from '../../transport/with-retransmits';
import type { Verdict } from '../../verdict';
import { SocketScannerBase, connectFor, writeThenRead } from '../shared/socket-scanner-base';
import { openBody } from '../shared/write-body';
import { mapClamavReply, parseClamavVersion } from './clamav-reply';

export interface ClamavClientOptions extends ScannerCommonOptions {
  /** Body bytes per INSTREAM chunk (default 64 KiB). */
  readonly chunkSize?: number;
  /** How long a VERSION answer is reused (default 60 s). */
  readonly versionCacheSec?: number;
  /** Clock for the VERSION cache and the server pool (tests). */
  readonly now?: () => number;
}

export const CLAMAV_DEFAULT_CHUNK_SIZE = 64 * 1024;
const INSTREAM = Buffer.from('zINSTREAM\0', 'latin1');
const VERSION = Buffer.from('zVERSION\0', 'latin1');
const END_OF_STREAM = Buffer.alloc(4);
const NUL = Buffer.from([0]);

/**
 * ClamAV clamd over TCP or a unix socket with `zINSTREAM` (docs/scanners.md "clamav"):
 * one connection per attempt, the body streamed in length-prefixed chunks.
 */
export class ClamavClient extends SocketScannerBase {
  readonly type = 'clamav';
  private readonly chunkSize: number;
  private readonly version: RefreshedValue<string | null>;

  constructor(options: ClamavClientOptions) {
    const now = options.now ?? Date.now;
    super(options, { now });
    this.chunkSize = Math.max(1, options.chunkSize ?? CLAMAV_DEFAULT_CHUNK_SIZE);
    this.version = new RefreshedValue(() => this.fetchVersion(), { ttlMs: (options.versionCacheSec ?? 60) * 1000, serveStaleOnError: true, now });
  }

  protected scanBody(body: ScanBody, ctx: ScanContext): Promise<Verdict> {
    return this.runAttempts(ctx, (a) => this.scanAttempt(body, a));
  }

  /**
   * The signature database version from `zVERSION` (`ClamAV 1.4.6/27412/…` → `27412`), or
   * null when clamd reports none. Cached for `versionCacheSec`. Rejects with a TransportError
   * when no server answers and nothing was cached before (an older value is served instead).
   */
  signatureVersion(): Promise<string | null> {
    return this.version.get();
  }

  private async fetchVersion(): Promise<string | null> {
    const out = await withRetransmits(this.upstreams, this.retransmitOptions({}), async (a) => {
      const conn = await connectFor(a);
      try {
        await conn.write(VERSION, { flush: true });
        a.markHealthy();
        return (await conn.readUntil(NUL)).toString('utf8');
      } finally {
        conn.close();
      }
    });
    if (out.ok) return parseClamavVersion(out.value);
    if (out.error instanceof TransportError) throw out.error;
    throw new TransportError('AVF_ERR_TRANSPORT_NO_UPSTREAM', `cannot read the clamd signature version: ${out.verdict.text}`);
  }

  /**
   * One INSTREAM exchange. Throws TransportError on I/O errors (retried); returns the mapped reply.
   * A reply clamd sent before closing while the body was still being written (size limit) is
   * used (`writeThenRead`).
   */
  private async scanAttempt(body: ScanBody, a: AttemptContext): Promise<Verdict> {
    const conn = await connectFor(a);
    let source: Readable | null = null;
    try {
      return await writeThenRead(
        async () => {
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
        },
        async () => mapClamavReply((await conn.readUntil(NUL)).toString('utf8')),
      );
    } finally {
      (source as Readable | null)?.destroy();
      conn.close();
    }
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
