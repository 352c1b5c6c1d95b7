import cluster from 'node:cluster';
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { ListenAddress } from '@avfleet/config';
import { MilterError } from './milter-error';
import { STOP_GRACE_MS } from './milter-limits';
import { MilterSession, type MilterSessionDeps } from './milter-session';

export interface MilterServerOptions extends MilterSessionDeps {
  /** --milter-listen. */
  readonly listen: ListenAddress;
  /** AVFLEET_MILTER_MAX_CONNECTIONS: connections past it are closed at once. */
  readonly maxConnections: number;
}

export interface RunningMilter {
  /** Where it listens: `inet:HOST:PORT` or `unix:PATH` (Postfix's smtpd_milters syntax). */
  readonly endpoint: string;
  /** The TCP port (the one the OS picked for port 0), or null for a unix socket. */
  readonly port: number | null;
  /** Stops listening; verdicts in flight are still answered (up to the deadline and a grace), idle connections close. */
  close(): Promise<void>;
}

/** A unix socket file left by a process that is gone answers nothing: remove it; a live one is an error. */
async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return;
  }
  if (!isSocket) throw new MilterError('AVF_ERR_MILTER_LISTEN', `cannot listen on unix:${path}: the path exists and is not a socket; choose another --milter-listen`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => (probe.destroy(), resolve(true)));
    probe.once('error', () => resolve(false));
  });
  if (live) throw new MilterError('AVF_ERR_MILTER_LISTEN', `cannot listen on unix:${path}: another process listens there; stop it or choose another --milter-listen`);
  unlinkSync(path);
}

function listen(server: Server, address: ListenAddress): Promise<void> {
  const shown = address.kind === 'unix' ? `unix:${address.path}` : `${address.host}:${address.port}`;
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(new MilterError('AVF_ERR_MILTER_LISTEN', `cannot listen on ${shown} (${err.code ?? err.message}); free it or choose another --milter-listen`, { cause: err }));
    });
    if (address.kind === 'unix') server.listen(address.path, () => resolve());
    else server.listen(address.port, address.host, () => resolve());
  });
}

/** The milter front end: one MilterSession per MTA connection, at most `maxConnections` at once. */
export async function startMilterServer(opts: MilterServerOptions): Promise<RunningMilter> {
  const sessions = new Set<MilterSession>();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    const session = new MilterSession(socket, opts);
    sessions.add(session);
    sockets.add(socket);
    socket.once('close', () => {
      sessions.delete(session);
      sockets.delete(socket);
    });
  });
  server.maxConnections = opts.maxConnections;
  // In a producer cluster the primary owns the socket file; only a lone process tidies it.
  const ownsSocketFile = opts.listen.kind === 'unix' && !cluster.isWorker;
  if (opts.listen.kind === 'unix' && ownsSocketFile) await removeStaleSocket(opts.listen.path);
  await listen(server, opts.listen);
  // The MTA connects as its own user (Postfix: `postfix`): let it write to the socket; restrict access with the folder's permissions.
  if (opts.listen.kind === 'unix' && ownsSocketFile) chmodSync(opts.listen.path, 0o666);
  const bound = server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : null;
  const endpoint = opts.listen.kind === 'unix' ? `unix:${opts.listen.path}` : opts.listen.host.includes(':') ? `inet6:[${opts.listen.host}]:${port}` : `inet:${opts.listen.host}:${port}`;
  opts.logger.info({ milter: endpoint, maxConnections: opts.maxConnections, deadlineSec: opts.deadlineSec }, 'milter listening');

  return {
    endpoint,
    port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sessions) s.close();
      const grace = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, opts.deadlineSec * 1000 + STOP_GRACE_MS);
      grace.unref();
      await closed;
      clearTimeout(grace);
      if (opts.listen.kind === 'unix' && ownsSocketFile) {
        try {
          unlinkSync(opts.listen.path);
        } catch {
          // already gone
        }
      }
    },
  };
}
