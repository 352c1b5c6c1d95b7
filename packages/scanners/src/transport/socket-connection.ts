import { readSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { TransportError, type TransportErrorCode } from '../errors';
import { DelimitedReader } from './delimited-reader';

/** Where a socket scanner listens: TCP (IPv4, IPv6 or a DNS name) or a unix socket path. */
export type SocketAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string };

/** `host:port`, `[v6]:port` or the socket path: the name used in logs, events and errors. */
export function formatAddress(a: SocketAddress): string {
  if (a.kind === 'unix') return a.path;
  return net.isIPv6(a.host) ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export interface ConnectOptions {
  /** Absolute deadline (ms since epoch) for the whole attempt: connect plus every read and write. Not reset by traffic. */
  readonly deadlineMs: number;
  /** Aborting fails the connection like a timeout. */
  readonly signal?: AbortSignal;
  /** TCP only: speak TLS (ICAP `ssl`); the connection counts as open after the handshake. */
  readonly tls?: { readonly rejectUnauthorized: boolean; readonly servername?: string };
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTSOCK']);

/**
 * One connection for one attempt. A single timer armed at connect time bounds
 * the whole exchange (docs/scanners.md: "one budget per attempt"), so a server that
 * drip-feeds bytes still times out. Incoming bytes are always collected, so a
 * reply that arrived before a write error stays readable (clamd's size-limit
 * reply followed by a reset).
 */
export class SocketConnection {
  readonly server: string;
  private readonly socket: net.Socket;
  private readonly reader: DelimitedReader;
  private readonly timer: NodeJS.Timeout;
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort = (): void => this.fail(new TransportError('AVF_ERR_TRANSPORT_TIMEOUT', `scan of ${this.server} aborted by the caller`, { server: this.server }));
  private failure: TransportError | null = null;
  private connected = false;
  private waiters = new Set<(e: TransportError) => void>();

  private constructor(address: SocketAddress, options: ConnectOptions, onConnected: (e?: TransportError) => void) {
    this.server = formatAddress(address);
    this.reader = new DelimitedReader(this.server);
    const budget = Math.max(0, options.deadlineMs - Date.now());
    this.timer = setTimeout(() => {
      const phase = this.connected ? 'a complete answer' : 'a connection';
      this.fail(new TransportError('AVF_ERR_TRANSPORT_TIMEOUT', `no ${phase} from ${this.server} within ${(budget / 1000).toFixed(1)} s; check the scanner or raise the rule's timeout`, { server: this.server }));
    }, budget);
    this.signal = options.signal;
    this.signal?.addEventListener('abort', this.onAbort, { once: true });

    const useTls = address.kind === 'tcp' && options.tls !== undefined;
    this.socket =
      address.kind === 'unix'
        ? net.connect({ path: address.path })
        : options.tls
          ? tls.connect({ host: address.host, port: address.port, rejectUnauthorized: options.tls.rejectUnauthorized, ...(options.tls.servername ? { servername: options.tls.servername } : {}) })
          : net.connect({ host: address.host, port: address.port });
    this.socket.on(useTls ? 'secureConnect' : 'connect', () => {
      this.connected = true;
      onConnected();
    });
    this.socket.on('data', (b: Buffer) => this.reader.push(b));
    this.socket.on('end', () => this.reader.end());
    this.socket.on('error', (e: NodeJS.ErrnoException) => this.fail(this.mapError(e)));
    this.socket.on('close', () => {
      this.reader.end();
      this.notify(new TransportError('AVF_ERR_TRANSPORT_CLOSED', `connection to ${this.server} closed`, { server: this.server }));
    });
    this.waiters.add((e) => {
      if (!this.connected) onConnected(e);
    });
    if (this.signal?.aborted) this.onAbort();
  }

  /** Opens a connection; rejects with a TransportError (CONNECT or TIMEOUT). */
  static connect(address: SocketAddress, options: ConnectOptions): Promise<SocketConnection> {
    return new Promise<SocketConnection>((resolve, reject) => {
      let settled = false;
      const conn: SocketConnection = new SocketConnection(address, options, (e) => {
        if (settled) return;
        settled = true;
        if (e) reject(e);
        else resolve(conn);
      });
    });
  }

  /**
   * Writes with backpressure: resolves once the bytes are accepted (at once,
   * or after `drain`). With `flush`, resolves only when they reached the kernel.
   */
  write(data: Buffer, options: { flush?: boolean } = {}): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const finish = (e?: TransportError): void => {
        if (done) return;
        done = true;
        this.waiters.delete(finish);
        this.socket.off('drain', onDrain);
        if (e) reject(e);
        else resolve();
      };
      const onDrain = (): void => finish();
      this.waiters.add(finish);
      const accepted = this.socket.write(data, (err) => {
        if (err) {
          this.salvageUnread();
          finish(this.failure ?? this.mapError(err as NodeJS.ErrnoException));
        }
        else if (options.flush) finish();
      });
      if (!options.flush) {
        if (accepted) finish();
        else this.socket.on('drain', onDrain);
      }
    });
  }

  /** True when the bytes received so far already contain `delimiter`. */
  hasReply(delimiter: Buffer | string): boolean {
    return this.reader.has(delimiter);
  }

  /** Bytes before the first `delimiter` (see DelimitedReader); answered from received bytes even after a failure. */
  readUntil(delimiter: Buffer | string): Promise<Buffer> {
    return this.reader.readUntil(delimiter);
  }

  /** Ends the attempt: stops the timer and closes the socket. Safe to call twice. */
  close(): void {
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
    if (!this.failure) this.failure = new TransportError('AVF_ERR_TRANSPORT_CLOSED', `connection to ${this.server} was closed by the client`, { server: this.server });
    this.reader.fail(this.failure);
    this.notify(this.failure);
    this.socket.destroy();
  }

  /**
   * Node destroys a socket right after a failed write, dropping bytes the kernel
   * has received but libuv has not read yet — such as clamd's size-limit reply
   * sent just before its reset (docs/testing.md). This runs in the write
   * callback, before that destroy, and moves those bytes into the reader with
   * non-blocking reads on the still-open descriptor (Unix only; best effort).
   */
  private salvageUnread(): void {
    if (this.socket instanceof tls.TLSSocket) return; // the descriptor carries ciphertext
    const fd = (this.socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) return;
    const buf = Buffer.allocUnsafe(64 * 1024);
    for (let i = 0; i < 16; i++) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch {
        return; // EAGAIN (nothing pending), ECONNRESET after the queued bytes, …
      }
      if (n <= 0) return;
      this.reader.push(Buffer.from(buf.subarray(0, n)));
    }
  }

  private fail(e: TransportError): void {
    if (this.failure) return;
    this.failure = e;
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
    this.reader.fail(e);
    this.notify(e);
    this.socket.destroy();
  }

  private notify(e: TransportError): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) w(this.failure ?? e);
  }

  private mapError(e: NodeJS.ErrnoException): TransportError {
    const sys = e.code ?? 'unknown error';
    let code: TransportErrorCode;
    let what: string;
    if (!this.connected && CONNECT_CODES.has(sys)) {
      code = 'AVF_ERR_TRANSPORT_CONNECT';
      what = `cannot connect to ${this.server} (${sys}); check that the scanner runs and the address is right`;
    } else if (!this.connected) {
      code = 'AVF_ERR_TRANSPORT_CONNECT';
      what = `cannot connect to ${this.server} (${sys}: ${e.message})`;
    } else if (sys === 'EPIPE' || sys === 'ERR_STREAM_WRITE_AFTER_END' || sys === 'ERR_STREAM_DESTROYED') {
      code = 'AVF_ERR_TRANSPORT_CLOSED';
      what = `${this.server} closed the connection while the request was being written (${sys})`;
    } else {
      code = 'AVF_ERR_TRANSPORT_RESET';
      what = `connection to ${this.server} failed (${sys}); check the scanner's logs`;
    }
    return new TransportError(code, what, { cause: e, server: this.server });
  }
}
