import { readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

/**
 * The plumbing every scanner simulator shares: a TCP server on 127.0.0.1, a
 * per-test scenario, the bytes each connection sent, the temp files the
 * client pointed at (seen while the scan ran), and a small line/byte reader
 * for writing the server side of a dialogue as straight-line code.
 */

/** A temp file as the scanner saw it when the client named it. */
export interface TempFileSeen {
  readonly path: string;
  /** Permission bits (`mode & 0o777`), or null when the file did not exist. */
  readonly mode: number | null;
  readonly content: Buffer | null;
}

export interface Simulator<S extends string> {
  readonly host: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Bytes received, one entry per connection. */
  readonly requests: readonly Buffer[];
  readonly files: readonly TempFileSeen[];
  /** Selects how the next connections answer. */
  use(scenario: S): void;
  close(): Promise<void>;
}

/** One accepted connection, seen from the server. */
export class SimSocket {
  private buf = Buffer.alloc(0);
  private closed = false;
  private wake: (() => void) | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly socket: net.Socket,
    private readonly record: (b: Buffer) => void,
  ) {
    socket.on('data', (d: Buffer) => {
      this.record(d);
      this.buf = Buffer.concat([this.buf, d]);
      this.poke();
    });
    const onGone = (): void => {
      this.closed = true;
      for (const t of this.timers) clearInterval(t);
      this.poke();
    };
    socket.on('end', onGone);
    socket.on('close', onGone);
    socket.on('error', () => undefined);
  }

  /** The next line without its delimiter, or null when the client closed first. */
  async line(delimiter = '\n'): Promise<string | null> {
    for (;;) {
      const at = this.buf.indexOf(delimiter);
      if (at >= 0) {
        const out = this.buf.subarray(0, at).toString('utf8');
        this.buf = this.buf.subarray(at + delimiter.length);
        return out;
      }
      if (this.closed) return null;
      await this.waitForData();
    }
  }

  /** Exactly `n` bytes, or null when the client closed first. */
  async bytes(n: number): Promise<Buffer | null> {
    while (this.buf.length < n) {
      if (this.closed) return null;
      await this.waitForData();
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  send(data: string | Buffer): void {
    if (!this.closed && !this.socket.destroyed) this.socket.write(data);
  }

  /** Sends and closes (FIN). */
  end(data?: string): void {
    if (this.socket.destroyed) return;
    if (data === undefined) this.socket.end();
    else this.socket.end(data);
  }

  /**
   * Sends `data` and closes the socket without reading what the client still
   * sends (a server that `close()`s right after answering): a client still
   * writing then sees a broken pipe or a reset. Nagle is turned off first: a
   * reply held back behind an earlier unacknowledged line would otherwise be
   * dropped with the reset and never reach the client.
   */
  answerAndClose(data: string): void {
    if (this.socket.destroyed) return;
    this.socket.setNoDelay(true);
    this.socket.write(data, () => this.socket.destroy());
  }

  /** Closes with a TCP reset. */
  reset(): void {
    if (!this.socket.destroyed) this.socket.resetAndDestroy();
  }

  /** Sends one byte of `filler` every `everyMs` and never a delimiter: a server that is alive but never answers. */
  drip(everyMs = 50, filler = 'x'): void {
    const t = setInterval(() => this.send(filler), everyMs);
    this.timers.add(t);
  }

  /** Sends `chunks` one by one with a pause between them (replies split across reads). */
  async sendSlowly(chunks: readonly string[], pauseMs = 30): Promise<void> {
    for (const c of chunks) {
      this.send(c);
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.socket.destroy();
  }

  private waitForData(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
}

/** Records what a file-based scanner would read at `path` right now. */
export function seeFile(path: string): TempFileSeen {
  try {
    return { path, mode: statSync(path).mode & 0o777, content: readFileSync(path) };
  } catch {
    return { path, mode: null, content: null };
  }
}

export type SimHandler<S extends string> = (sock: SimSocket, scenario: S, files: TempFileSeen[]) => Promise<void>;

export interface SimulatorServerOptions {
  /** Serve TLS with this key and certificate (ICAP `ssl`). */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
}

/** Starts a simulator on an ephemeral port of 127.0.0.1 that runs `handler` for each connection. */
export async function startSimulator<S extends string>(initial: S, handler: SimHandler<S>, options: SimulatorServerOptions = {}): Promise<Simulator<S>> {
  let scenario = initial;
  const requests: Buffer[] = [];
  const files: TempFileSeen[] = [];
  const sockets = new Set<SimSocket>();
  const onSocket = (socket: net.Socket): void => {
    const idx = requests.push(Buffer.alloc(0)) - 1;
    const sock = new SimSocket(socket, (b) => {
      requests[idx] = Buffer.concat([requests[idx]!, b]);
    });
    sockets.add(sock);
    socket.on('close', () => sockets.delete(sock));
    handler(sock, scenario, files).catch(() => sock.stop());
  };
  const server = options.tls ? tls.createServer({ key: options.tls.key, cert: options.tls.cert }, onSocket) : net.createServer(onSocket);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    host: '127.0.0.1',
    port,
    get connections() {
      return requests.length;
    },
    requests,
    files,
    use(s: S) {
      scenario = s;
    },
    close() {
      for (const s of sockets) s.stop();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The behaviours every simulator offers at the point where its reply is due. */
export type FaultScenario = 'slow' | 'reset' | 'garbage';
export const GARBAGE_LINE = 'Hello? This is not the protocol you are looking for';

/** Acts out a fault scenario; returns false when `scenario` is not one. */
export function actOutFault(sock: SimSocket, scenario: string, delimiter = '\n'): boolean {
  if (scenario === 'slow') sock.drip();
  else if (scenario === 'reset') sock.reset();
  else if (scenario === 'garbage') sock.end(`${GARBAGE_LINE}${delimiter}`);
  else return false;
  return true;
}
