import net from 'node:net';
import { Readable } from 'node:stream';
import type { ScanBody } from '../../scanner';
import { clean, fail, virus } from '../../verdict';
import { ClamavClient, type ClamavClientOptions } from './clamav-client';

const EICAR = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*', 'latin1');

interface FakeClamd {
  port: number;
  /** Raw bytes received per connection. */
  received: Buffer[];
  /** Chunk lengths seen per INSTREAM connection. */
  chunks: number[][];
  close(): Promise<void>;
}

/**
 * A clamd double: parses zINSTREAM framing, answers FOUND when the body contains
 * EICAR, and mimics StreamMaxLength (answer, then close while the client writes).
 */
async function fakeClamd(opts: { maxStream?: number; version?: string; answerBeforeBody?: string } = {}): Promise<FakeClamd> {
  const received: Buffer[] = [];
  const chunks: number[][] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    const idx = received.push(Buffer.alloc(0)) - 1;
    const lens: number[] = [];
    chunks.push(lens);
    let buf = Buffer.alloc(0);
    let body = Buffer.alloc(0);
    let commandDone = false;
    let finished = false;
    s.on('data', (d: Buffer) => {
      received[idx] = Buffer.concat([received[idx]!, d]);
      if (finished) return;
      buf = Buffer.concat([buf, d]);
      if (!commandDone) {
        const nul = buf.indexOf(0);
        if (nul < 0) return;
        const cmd = buf.subarray(0, nul).toString();
        buf = buf.subarray(nul + 1);
        commandDone = true;
        if (cmd === 'zVERSION') {
          finished = true;
          s.end(`${opts.version ?? 'ClamAV 1.4.6'}\0`);
          return;
        }
        if (cmd !== 'zINSTREAM') {
          finished = true;
          s.end('UNKNOWN COMMAND\0');
          return;
        }
        if (opts.answerBeforeBody !== undefined) {
          // Answers the command alone and closes without reading the body.
          finished = true;
          s.setNoDelay(true);
          s.write(`${opts.answerBeforeBody}\0`, () => s.destroy());
          return;
        }
      }
      while (buf.length >= 4) {
        const len = buf.readUInt32BE(0);
        if (len === 0) {
          finished = true;
          s.end(body.includes(EICAR) ? 'stream: Eicar-Test-Signature FOUND\0' : 'stream: OK\0');
          return;
        }
        if (buf.length < 4 + len) return;
        lens.push(len);
        body = Buffer.concat([body, buf.subarray(4, 4 + len)]);
        buf = buf.subarray(4 + len);
        if (opts.maxStream !== undefined && body.length > opts.maxStream) {
          finished = true;
          s.write('INSTREAM size limit exceeded. ERROR\0', () => s.destroy());
          return;
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    chunks,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const options = (...ports: number[]): ClamavClientOptions => ({
  servers: { strategy: 'master-slave', explicitStrategy: true, entries: ports.map((port) => ({ kind: 'tcp' as const, host: '127.0.0.1', port, priority: 0 })) },
  timeoutSec: 5,
  retransmits: 2,
});
const bufferBody = (b: Buffer): ScanBody => ({ size: b.length, buffer: b, open: () => Readable.from([b]) });
const streamBody = (b: Buffer, piece: number): ScanBody => ({
  size: b.length,
  open: () => Readable.from(Array.from({ length: Math.ceil(b.length / piece) }, (_, i) => b.subarray(i * piece, (i + 1) * piece))),
});

describe('ClamavClient', () => {
  let clamd: FakeClamd;
  afterEach(async () => {
    await clamd?.close();
  });

  it('sends exactly zINSTREAM\\0, one length-prefixed chunk and the terminator for a small body', async () => {
    clamd = await fakeClamd();
    const v = await new ClamavClient(options(clamd.port)).scan(bufferBody(EICAR));
    expect(v).toEqual(virus(['Eicar-Test-Signature']));
    const expected = Buffer.concat([Buffer.from('7a494e53545245414d00', 'hex'), Buffer.from('00000044', 'hex'), EICAR, Buffer.alloc(4)]);
    expect(clamd.received[0]!.equals(expected)).toBe(true);
  });

  it('streams an opened body in chunks of at most chunkSize and gets the same verdict', async () => {
    clamd = await fakeClamd();
    const data = Buffer.concat([Buffer.alloc(300_000, 0x41), EICAR, Buffer.alloc(1000, 0x42)]);
    const client = new ClamavClient({ ...options(clamd.port), chunkSize: 64 * 1024 });
    expect(await client.scan(streamBody(data, 100_000))).toEqual(virus(['Eicar-Test-Signature']));
    const lens = clamd.chunks[0]!;
    expect(lens.length).toBeGreaterThan(4);
    expect(Math.max(...lens)).toBeLessThanOrEqual(64 * 1024);
    expect(lens.reduce((a, b) => a + b, 0)).toBe(data.length);
    expect(await client.scan(streamBody(Buffer.alloc(10_000, 0x43), 3000))).toEqual(clean());
  });

  it('reports the size-limit reply that arrives while still writing, without retrying', async () => {
    clamd = await fakeClamd({ maxStream: 1024 * 1024 });
    const events: boolean[] = [];
    const client = new ClamavClient({ ...options(clamd.port), onAttempt: (e) => events.push(e.ok) });
    const big = Buffer.alloc(32 * 1024 * 1024, 0x61);
    expect(await client.scan(bufferBody(big))).toEqual(fail('unhandled response: INSTREAM size limit exceeded. ERROR', 'limits'));
    expect(clamd.received).toHaveLength(1);
    expect(events).toEqual([true]);
    expect(await client.scan(streamBody(big, 1024 * 1024))).toEqual(fail('unhandled response: INSTREAM size limit exceeded. ERROR', 'limits'));
  });

  it('uses any complete reply that arrived before writing the body broke, without retrying', async () => {
    clamd = await fakeClamd({ answerBeforeBody: 'stream: Eicar-Test-Signature FOUND' });
    const events: boolean[] = [];
    const client = new ClamavClient({ ...options(clamd.port), onAttempt: (e) => events.push(e.ok) });
    const big = Buffer.alloc(8 * 1024 * 1024, 0x61);
    expect(await client.scan(bufferBody(big))).toEqual(virus(['Eicar-Test-Signature']));
    expect(await client.scan(streamBody(big, 64 * 1024))).toEqual(virus(['Eicar-Test-Signature']));
    expect(clamd.received).toHaveLength(2);
    expect(events).toEqual([true, true]);
  });

  it('retries on the next server when the first refuses', async () => {
    clamd = await fakeClamd();
    const refusing = net.createServer();
    await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', r));
    const deadPort = (refusing.address() as net.AddressInfo).port;
    await new Promise<void>((r) => refusing.close(() => r()));
    const v = await new ClamavClient(options(deadPort, clamd.port)).scan(bufferBody(Buffer.from('hello')));
    expect(v).toEqual(clean());
  });

  it('fails without retrying when the body cannot be opened', async () => {
    clamd = await fakeClamd();
    const v = await new ClamavClient(options(clamd.port)).scan({
      size: 1,
      open: () => {
        throw new Error('object gone');
      },
    });
    expect(v).toEqual(fail('scan failed: cannot open the body to scan: object gone', 'error'));
    expect(clamd.received).toHaveLength(1);
  });

  it('reads the signature version, caches it for a minute, and returns null without a /dbver/ part', async () => {
    clamd = await fakeClamd({ version: 'ClamAV 1.0.5/27412/Tue Sep 24 08:34:05 2024' });
    let t = 0;
    const client = new ClamavClient({ ...options(clamd.port), now: () => t });
    const [a, b] = await Promise.all([client.signatureVersion(), client.signatureVersion()]);
    expect([a, b]).toEqual(['27412', '27412']);
    expect(clamd.received).toHaveLength(1);
    expect(clamd.received[0]!.toString()).toBe('zVERSION\0');
    t += 59_000;
    await client.signatureVersion();
    expect(clamd.received).toHaveLength(1);
    t += 2_000;
    await client.signatureVersion();
    expect(clamd.received).toHaveLength(2);

    await clamd.close();
    clamd = await fakeClamd({ version: 'ClamAV 1.4.6' });
    expect(await new ClamavClient(options(clamd.port)).signatureVersion()).toBeNull();
  });

  it('rejects signatureVersion with a TransportError when no server answers and nothing is cached', async () => {
    clamd = await fakeClamd();
    const port = clamd.port;
    await clamd.close();
    await expect(new ClamavClient({ ...options(port), retransmits: 0 }).signatureVersion()).rejects.toMatchObject({ code: 'AVF_ERR_TRANSPORT_CONNECT' });
    clamd = await fakeClamd();
  });
});
