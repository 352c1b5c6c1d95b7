import { createServer, type Server, type Socket } from 'node:net';

/** A started clamd-protocol simulator. */
export interface ClamdSimulator {
  port: number;
  /** INSTREAM scans answered so far. */
  scans(): number;
  close(): Promise<void>;
}

const VERSION_REPLY = 'ClamAV 1.4.6/27000/Mon Jan  1 00:00:00 2024';

/** Serves one connection: PING, VERSION, and INSTREAM answered `stream: OK` after `latencyMs`. */
function serve(socket: Socket, latencyMs: number, onScan: () => void): void {
  let buf: Buffer = Buffer.alloc(0);
  let mode: 'command' | 'stream' | 'done' = 'command';
  let term = '\0';
  const reply = (text: string): void => {
    mode = 'done';
    socket.end(`${text}${term}`);
  };
  socket.on('data', (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    for (;;) {
      if (mode === 'command') {
        const end = buf.findIndex((b) => b === 0 || b === 10);
        if (end < 0) return;
        const raw = buf.subarray(0, end).toString('latin1');
        buf = buf.subarray(end + 1);
        term = raw.startsWith('n') ? '\n' : '\0';
        const cmd = raw.replace(/^[zn]/, '');
        if (cmd === 'PING') return reply('PONG');
        if (cmd === 'VERSION') return reply(VERSION_REPLY);
        if (cmd === 'INSTREAM') {
          mode = 'stream';
          continue;
        }
        return reply('UNKNOWN COMMAND');
      }
      if (mode === 'stream') {
        if (buf.length < 4) return;
        const len = buf.readUInt32BE(0);
        if (len === 0) {
          mode = 'done';
          setTimeout(() => {
            onScan();
            socket.end(`stream: OK${term}`);
          }, latencyMs);
          return;
        }
        if (buf.length < 4 + len) return;
        buf = buf.subarray(4 + len);
        continue;
      }
      return;
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
    serve(s, latencyMs, () => count++);
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
