import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { SocketConnection, formatAddress, type SocketAddress } from './socket-connection';

/** A local fake server; `handler` gets each connection. */
async function fakeServer(handler: (s: net.Socket) => void, listenOn: { port: 0; host: string } | { path: string } = { port: 0, host: '127.0.0.1' }) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    handler(s);
  });
  await new Promise<void>((resolve) => server.listen(listenOn, resolve));
  const address: SocketAddress =
    'path' in listenOn ? { kind: 'unix', path: listenOn.path } : { kind: 'tcp', host: listenOn.host, port: (server.address() as net.AddressInfo).port };
  return {
    address,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A TCP port with nothing listening. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const TIMEOUT_MS = 400;
const MARGIN_MS = 2 * TIMEOUT_MS + 1000;

describe('SocketConnection', () => {
  it('formats addresses for logs', () => {
    expect(formatAddress({ kind: 'tcp', host: '127.0.0.1', port: 3310 })).toBe('127.0.0.1:3310');
    expect(formatAddress({ kind: 'tcp', host: '::1', port: 3310 })).toBe('[::1]:3310');
    expect(formatAddress({ kind: 'unix', path: '/run/clamd.ctl' })).toBe('/run/clamd.ctl');
  });

  it('writes a request and reads the reply up to the delimiter', async () => {
    const srv = await fakeServer((s) => s.once('data', (d) => s.write(Buffer.concat([Buffer.from('got '), d, Buffer.from('\0trailing')]))));
    try {
      const c = await SocketConnection.connect(srv.address, { deadlineMs: Date.now() + 5000 });
      await c.write(Buffer.from('ping'), { flush: true });
      expect((await c.readUntil('\0')).toString()).toBe('got ping');
      c.close();
    } finally {
      await srv.close();
    }
  });

  it('reports a refused connection as AVF_ERR_TRANSPORT_CONNECT', async () => {
    const port = await closedPort();
    await expect(SocketConnection.connect({ kind: 'tcp', host: '127.0.0.1', port }, { deadlineMs: Date.now() + 5000 })).rejects.toMatchObject({
      code: 'AVF_ERR_TRANSPORT_CONNECT',
    });
  });

  it('times out a server that accepts and stays silent, within the deadline plus margin', async () => {
    const srv = await fakeServer(() => undefined);
    try {
      const started = Date.now();
      const c = await SocketConnection.connect(srv.address, { deadlineMs: started + TIMEOUT_MS });
      await c.write(Buffer.from('hello'));
      await expect(c.readUntil('\0')).rejects.toMatchObject({ code: 'AVF_ERR_TRANSPORT_TIMEOUT' });
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
      expect(elapsed).toBeLessThan(MARGIN_MS);
      c.close();
    } finally {
      await srv.close();
    }
  });

  it('times out a server that drip-feeds bytes: one budget per attempt, not reset by traffic', async () => {
    const srv = await fakeServer((s) => {
      const t = setInterval(() => s.write('x'), TIMEOUT_MS / 4);
      s.on('close', () => clearInterval(t));
    });
    try {
      const started = Date.now();
      const c = await SocketConnection.connect(srv.address, { deadlineMs: started + TIMEOUT_MS });
      await expect(c.readUntil('\0')).rejects.toMatchObject({ code: 'AVF_ERR_TRANSPORT_TIMEOUT' });
      expect(Date.now() - started).toBeLessThan(MARGIN_MS);
      c.close();
    } finally {
      await srv.close();
    }
  });

  it('reports a reset in the middle of a reply as AVF_ERR_TRANSPORT_RESET', async () => {
    const srv = await fakeServer((s) => {
      s.write('stream: Eicar', () => setTimeout(() => s.resetAndDestroy(), 50));
    });
    try {
      const c = await SocketConnection.connect(srv.address, { deadlineMs: Date.now() + 5000 });
      await expect(c.readUntil('\0')).rejects.toMatchObject({ code: 'AVF_ERR_TRANSPORT_RESET' });
      c.close();
    } finally {
      await srv.close();
    }
  });

  it('reports a clean close before the delimiter as AVF_ERR_TRANSPORT_CLOSED', async () => {
    const srv = await fakeServer((s) => s.end('stream: OK'));
    try {
      const c = await SocketConnection.connect(srv.address, { deadlineMs: Date.now() + 5000 });
      await expect(c.readUntil('\0')).rejects.toMatchObject({ code: 'AVF_ERR_TRANSPORT_CLOSED' });
      c.close();
    } finally {
      await srv.close();
    }
  });

  it('keeps a reply that arrived before a write error (server answers, then resets while we write)', async () => {
    const srv = await fakeServer((s) => {
      s.once('data', () => {
        s.write('INSTREAM size limit exceeded. ERROR\0', () => s.resetAndDestroy());
      });
    });
    try {
      // Repeated: whether the reply is read before or after the failing write is a race.
      for (let round = 0; round < 10; round++) {
        const c = await SocketConnection.connect(srv.address, { deadlineMs: Date.now() + 5000 });
        const chunk = Buffer.alloc(256 * 1024, 1);
        let writeError: unknown = null;
        try {
          for (let i = 0; i < 400; i++) await c.write(chunk);
        } catch (e) {
          writeError = e;
        }
        expect(writeError).toMatchObject({ code: expect.stringMatching(/^AVF_ERR_TRANSPORT_(RESET|CLOSED)$/) });
        expect(c.hasReply('\0')).toBe(true);
        expect((await c.readUntil('\0')).toString()).toBe('INSTREAM size limit exceeded. ERROR');
        c.close();
      }
    } finally {
      await srv.close();
    }
  });

  it('recovers a reply that sits unread in the kernel when the next write fails (clamd size limit race)', async () => {
    // The server runs in a worker thread so it can answer and reset while this thread is blocked.
    const worker = new Worker(
      `const net = require('node:net'); const { parentPort } = require('node:worker_threads');
       const srv = net.createServer((s) => { s.on('error', () => {}); s.once('data', () => s.write('INSTREAM size limit exceeded. ERROR\\0', () => s.resetAndDestroy())); });
       srv.listen(0, '127.0.0.1', () => parentPort.postMessage(srv.address().port));
       parentPort.on('message', () => srv.close(() => process.exit(0)));`,
      { eval: true },
    );
    try {
      const port = await new Promise<number>((resolve) => worker.once('message', resolve));
      const c = await SocketConnection.connect({ kind: 'tcp', host: '127.0.0.1', port }, { deadlineMs: Date.now() + 5000 });
      await c.write(Buffer.from('x'), { flush: true });
      // Block this thread: the reply and the reset reach our kernel while nothing reads them.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
      await expect(c.write(Buffer.alloc(1024, 1), { flush: true })).rejects.toMatchObject({ code: expect.stringMatching(/^AVF_ERR_TRANSPORT_(RESET|CLOSED)$/) });
      expect((await c.readUntil('\0')).toString()).toBe('INSTREAM size limit exceeded. ERROR');
      c.close();
    } finally {
      worker.postMessage('stop');
      await new Promise((r) => worker.once('exit', r));
    }
  });

  it('talks over a unix socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'avf-sock-'));
    const path = join(dir, 'fake.sock');
    const srv = await fakeServer((s) => s.once('data', () => s.write('pong\0')), { path });
    try {
      const c = await SocketConnection.connect({ kind: 'unix', path }, { deadlineMs: Date.now() + 5000 });
      await c.write(Buffer.from('ping'));
      expect((await c.readUntil('\0')).toString()).toBe('pong');
      c.close();
      await expect(SocketConnection.connect({ kind: 'unix', path: join(dir, 'missing.sock') }, { deadlineMs: Date.now() + 5000 })).rejects.toMatchObject({
        code: 'AVF_ERR_TRANSPORT_CONNECT',
      });
    } finally {
      await srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('connects to an IPv6 address when the host has one', async () => {
    let srv;
    try {
      srv = await fakeServer((s) => s.once('data', () => s.write('v6\0')), { port: 0, host: '::1' });
    } catch {
      return; // no IPv6 loopback on this machine
    }
    try {
      const c = await SocketConnection.connect(srv.address, { deadlineMs: Date.now() + 5000 });
      await c.write(Buffer.from('x'));
      expect((await c.readUntil('\0')).toString()).toBe('v6');
      c.close();
    } finally {
      await srv.close();
    }
  });
});
