import { createServer, type Server, type Socket } from 'node:net';

/** A started clamd-protocol simulator. */
export interface ClamdSimulator {
  port: number;
  /** INSTREAM scans answered so far. */
  scans(): number;
  close(): Promise<void>;
}

const VERSION_REPLY = 'ClamAV 1.4.6/27000/Mon Jan  1 00:00:00 2024';

/**
 * Serves one connection: PING, VERSION, and INSTREAM answered `stream: OK` after `latencyMs`.
 * Stream bytes are skipped where they lie (only the 4-byte chunk headers are looked at), so
 * the stand-in costs the machine little of the CPU a remote engine would not cost it.
 */
export function serveSimulatedClamd(socket: Pick<Socket, 'on' | 'end' | 'destroy'>, latencyMs: number, onScan: () => void): void {
  let mode: 'command' | 'stream' | 'done' = 'command';
  let command: Buffer = Buffer.alloc(0);
  let term = '\0';
  /** Bytes of the current chunk still to skip; -1 while a chunk header is being read. */
  let skip = -1;
  let header: Buffer = Buffer.alloc(0);
  const reply = (text: string): void => {
    mode = 'done';
    socket.end(`${text}${term}`);
  };
  const endOfStream = (): void => {
    mode = 'done';
    setTimeout(() => {
      onScan();
      socket.end(`stream: OK${term}`);
    }, latencyMs);
  };
  socket.on('data', (chunk: Buffer) => {
    let at = 0;
    if (mode === 'command') {
      command = command.length === 0 ? chunk : Buffer.concat([command, chunk]);
      const end = command.findIndex((b) => b === 0 || b === 10);
      if (end < 0) return;
      const raw = command.subarray(0, end).toString('latin1');
      term = raw.startsWith('n') ? '\n' : '\0';
      const cmd = raw.replace(/^[zn]/, '');
      if (cmd === 'PING') return reply('PONG');
      if (cmd === 'VERSION') return reply(VERSION_REPLY);
      if (cmd !== 'INSTREAM') return reply('UNKNOWN COMMAND');
      mode = 'stream';
      // What followed the command in this read is stream data.
      chunk = command.subarray(end + 1);
      command = Buffer.alloc(0);
    }
    while (mode === 'stream' && at < chunk.length) {
      if (skip < 0) {
        const take = Math.min(4 - header.length, chunk.length - at);
        header = Buffer.concat([header, chunk.subarray(at, at + take)]);
        at += take;
        if (header.length < 4) return;
        const len = header.readUInt32BE(0);
        header = Buffer.alloc(0);
        if (len === 0) return endOfStream();
        skip = len;
        continue;
      }
      const take = Math.min(skip, chunk.length - at);
      at += take;
      skip -= take;
      if (skip === 0) skip = -1;
    }
  });
  socket.on('error', () => socket.destroy());
}

/**
 * A tiny clamd stand-in for the scale-out curve: every INSTREAM scan takes exactly
 * `latencyMs` (after the last chunk) and is clean, so the fleet, not the engine, is measured.
 */
export async function startClamdSimulator(latencyMs: number, port = 0, host = '127.0.0.1'): Promise<ClamdSimulator> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    serveSimulatedClamd(s, latencyMs, () => count++);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('AVF_ERR_BENCH_SIM: the simulator has no TCP address');
  return {
    port: address.port,
    scans: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
