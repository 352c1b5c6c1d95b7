import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { unlink } from 'node:fs/promises';
import type { ListenAddress } from '@avfleet/config';
import type { ClamdDeps } from './clamd-deps';
import type { ClamdErrorCode } from './clamd-error-codes';
import { serveClamdConnection, type ClamdConnection } from './clamd-session';
import { CodedError } from '@avfleet/scanners';

export interface ClamdServer {
  /** The bound TCP address, or the unix socket's path. */
  readonly address: AddressInfo | string;
  /** Stops accepting, lets scans in flight answer (up to the deadline and a few seconds), then closes. */
  close(): Promise<void>;
}

/** The listen failed; the message names the setting to change. */
export class ClamdListenError extends CodedError<ClamdErrorCode> {
  override readonly name = 'ClamdListenError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('AVF_ERR_CLAMD_LISTEN', message, options);
  }
}

const describe = (a: ListenAddress): string => (a.kind === 'unix' ? `unix:${a.path}` : `${a.host}:${a.port}`);

function listen(server: Server, address: ListenAddress): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => reject(err);
    server.once('error', onError);
    const done = (): void => {
      server.off('error', onError);
      resolve();
    };
    if (address.kind === 'unix') server.listen(address.path, done);
    else server.listen(address.port, address.host, done);
  });
}

/** A unix socket file nobody answers on (left by a crashed producer). */
function isStaleSocket(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(false);
    });
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

/**
 * The clamd-protocol listener (--clamd-listen): one serveClamdConnection per client, at most
 * `limits.maxConnections` at once (more are closed at once and logged).
 */
export async function startClamdServer(address: ListenAddress, deps: ClamdDeps): Promise<ClamdServer> {
  const connections = new Set<ClamdConnection>();
  const server = createServer({ noDelay: true }, (socket) => {
    if (connections.size >= deps.limits.maxConnections) {
      deps.logger.warn({ code: 'AVF_ERR_CLAMD_CONNECTIONS', max: deps.limits.maxConnections }, 'clamd front end: too many connections; one was closed');
      socket.destroy();
      return;
    }
    const conn = serveClamdConnection(socket, deps);
    connections.add(conn);
    void conn.done.then(() => connections.delete(conn));
  });
  try {
    await listen(server, address);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (address.kind === 'unix' && code === 'EADDRINUSE' && (await isStaleSocket(address.path))) {
      await unlink(address.path);
      await listen(server, address);
    } else {
      const why = code === 'EADDRINUSE' ? 'the address is in use' : (err as Error).message;
      throw new ClamdListenError(`cannot listen on ${describe(address)} for the clamd protocol: ${why}; choose another with --clamd-listen (AVFLEET_CLAMD_LISTEN)`, { cause: err });
    }
  }
  const bound = server.address() as AddressInfo | string;
  deps.logger.info({ clamdListen: bound }, 'clamd front end listening');

  return {
    address: bound,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const c of connections) c.drain();
      const graceMs = deps.deadlineSec * 1000 + 5000;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
        timer.unref();
      });
      await Promise.race([Promise.all([...connections].map((c) => c.done)), late]);
      clearTimeout(timer);
      for (const c of connections) c.destroy();
      await closed;
    },
  };
}
