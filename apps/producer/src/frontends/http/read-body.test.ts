import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { buildServer } from './build-server';
import { fakeFleet, type FakeFleet } from '../../../test/fake-http-deps';
import { call, closeServer, listenEphemeral } from '../../../test/test-client';

const LIMIT = 64 * 1024;
let server: Server | null = null;
let fleet: FakeFleet;
let port: number;

beforeEach(async () => {
  fleet = fakeFleet({ overrides: { maxMessageBytes: LIMIT } });
  server = buildServer(fleet.deps, { serveMetrics: false, thresholds: { reject: 15 } });
  port = await listenEphemeral(server);
});
afterEach(async () => {
  if (server) await closeServer(server);
  server = null;
});

/** A raw connection: writes what the test says and collects what the server answers until it closes. */
function rawConnection(): { socket: Socket; received: () => string; closed: Promise<void> } {
  const socket = connect(port, '127.0.0.1');
  let data = '';
  socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
  socket.on('error', () => undefined); // the server may reset an oversize upload once it has answered
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return { socket, received: () => data, closed };
}

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const statusOf = (text: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);

describe('request bodies over AVFLEET_MAX_MESSAGE_BYTES', () => {
  it('answers 413 from Content-Length alone, before any body byte is sent, and closes', async () => {
    const c = rawConnection();
    c.socket.write(`POST /scans HTTP/1.1\r\nHost: x\r\nContent-Length: ${LIMIT + 1}\r\n\r\n`);
    await waitFor(() => c.received().includes('\r\n\r\n{'), 3000);
    expect(statusOf(c.received())).toBe(413);
    expect(c.received()).toMatch(/connection: close/i);
    expect(c.received()).toContain('"AVF_ERR_TOO_LARGE"');
    await c.closed;
    expect(fleet.accepted).toHaveLength(0);
  });

  it('answers 413 to a chunked upload as soon as it passes the limit, without waiting for its end', async () => {
    const c = rawConnection();
    c.socket.write('POST /checkv2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    // Send a little over the limit, never the terminating chunk: the answer must not depend on the body's end.
    for (let sent = 0; sent <= LIMIT; sent += chunk.length) c.socket.write(`${chunk.length.toString(16)}\r\n${chunk.toString('latin1')}\r\n`);
    await waitFor(() => c.received().includes('AVF_ERR_TOO_LARGE'), 3000);
    expect(statusOf(c.received())).toBe(413);
    expect(c.received()).toMatch(/connection: close/i);
    await c.closed; // the server hangs up instead of reading the rest
    expect(fleet.accepted).toHaveLength(0);
  });

  it('keeps a many-megabyte chunked upload from being read to its end', async () => {
    const c = rawConnection();
    c.socket.write('POST /scans HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = Buffer.alloc(64 * 1024, 0x62);
    let written = 0;
    let open = true;
    void c.closed.then(() => (open = false));
    // Keep writing (up to 64 MiB) until the server closes: it must close long before.
    while (open && written < 64 * 1024 * 1024) {
      const ok = c.socket.write(`${chunk.length.toString(16)}\r\n${chunk.toString('latin1')}\r\n`);
      written += chunk.length;
      if (!ok) await Promise.race([new Promise((r) => c.socket.once('drain', r)), c.closed]);
    }
    expect(open).toBe(false);
    expect(written).toBeLessThan(64 * 1024 * 1024);
    expect(statusOf(c.received())).toBe(413);
  });

  it('refuses Expect: 100-continue uploads over the limit without a 100 Continue', async () => {
    const c = rawConnection();
    c.socket.write(`POST /scans HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: ${LIMIT * 4}\r\n\r\n`);
    await waitFor(() => c.received().includes('AVF_ERR_TOO_LARGE'), 3000);
    expect(c.received()).not.toContain('100 Continue');
    expect(statusOf(c.received())).toBe(413);
  });

  it('sends 100 Continue to an upload within the limit and scans it', async () => {
    const c = rawConnection();
    const body = 'Subject: x\r\n\r\nbody\r\n';
    c.socket.write(`POST /scans HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`);
    await waitFor(() => c.received().includes('100 Continue'), 3000);
    c.socket.write(body);
    await c.closed;
    expect(c.received()).toMatch(/HTTP\/1\.1 200/);
    expect(fleet.accepted[0].raw.toString()).toBe(body);
  });

  it.each([
    ['Content-Length', true],
    ['chunked', false],
  ])('hands intake the exact bytes of a body sent in many pieces (%s)', async (_name, withLength) => {
    const c = rawConnection();
    const body = Buffer.alloc(LIMIT - 7);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31 + (i >>> 8)) & 0xff;
    const head = withLength ? `Content-Length: ${body.length}` : 'Transfer-Encoding: chunked';
    c.socket.write(`POST /scans HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${head}\r\n\r\n`);
    for (let off = 0; off < body.length; off += 5000) {
      const piece = body.subarray(off, Math.min(body.length, off + 5000));
      c.socket.write(withLength ? piece : Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]));
      await new Promise((r) => setTimeout(r, 1));
    }
    if (!withLength) c.socket.write('0\r\n\r\n');
    await c.closed;
    expect(statusOf(c.received())).toBe(200);
    expect(fleet.accepted).toHaveLength(1);
    expect(fleet.accepted[0].raw.equals(body)).toBe(true);
  });

  it('accepts a body of exactly the limit', async () => {
    const body = Buffer.alloc(LIMIT, 0x63);
    const r = await call(port, 'POST', '/scans', { body });
    expect(r.status).toBe(200);
    expect(fleet.accepted[0].raw.length).toBe(LIMIT);
  });
});

describe('compressed bodies', () => {
  it('answers 415 to rspamc -z (Compression: zstd) with a message saying to drop -z', async () => {
    const r = await call(port, 'POST', '/checkv2', { body: 'x', headers: { compression: 'zstd', 'content-type': 'application/x-compressed' } });
    expect(r.status).toBe(415);
    expect(r.json).toEqual({ error: { code: 'AVF_ERR_UNSUPPORTED_ENCODING', message: expect.stringContaining('-z') } });
    expect(fleet.accepted).toHaveLength(0);
  });

  it('answers 415 to Content-Encoding: gzip, and accepts identity', async () => {
    expect((await call(port, 'POST', '/scans', { body: 'x', headers: { 'content-encoding': 'gzip' } })).status).toBe(415);
    expect((await call(port, 'POST', '/scans', { body: 'Subject: y\r\n\r\nz', headers: { 'content-encoding': 'identity' } })).status).toBe(200);
  });
});

describe('declared but unsent bodies (issue 16, row 3)', () => {
  it('holds the bytes that arrived, not the declared Content-Length', async () => {
    const big = 50 * 1024 * 1024;
    const bigFleet = fakeFleet({ overrides: { maxMessageBytes: big } });
    const bigServer = buildServer(bigFleet.deps, { serveMetrics: false, thresholds: { reject: 15 } });
    const bigPort = await listenEphemeral(bigServer);
    const sockets: Socket[] = [];
    try {
      const before = process.memoryUsage().arrayBuffers;
      for (let i = 0; i < 20; i++) {
        const s = connect(bigPort, '127.0.0.1');
        s.on('error', () => undefined);
        sockets.push(s);
        s.write(`POST /scans HTTP/1.1\r\nHost: x\r\nContent-Length: ${big}\r\n\r\nS`);
      }
      // Let the server read every header and the first byte.
      await new Promise((r) => setTimeout(r, 300));
      const grown = process.memoryUsage().arrayBuffers - before;
      // 20 × 50 MiB = 1000 MiB if the declared length were allocated; a few MiB of socket buffers otherwise.
      expect(grown).toBeLessThan(64 * 1024 * 1024);
      expect(bigFleet.accepted).toHaveLength(0);
    } finally {
      for (const s of sockets) s.destroy();
      await closeServer(bigServer);
    }
  });
});

describe('the in-flight byte budget (issue 16, row 4)', () => {
  const BUDGET = 3 * 1024 * 1024;
  let budgetFleet: FakeFleet;
  let budgetServer: Server;
  let budgetPort: number;
  beforeEach(async () => {
    budgetFleet = fakeFleet({ finishAfterMs: null, inflightBytes: BUDGET, overrides: { maxMessageBytes: 2 * 1024 * 1024 } });
    budgetServer = buildServer(budgetFleet.deps, { serveMetrics: false, thresholds: { reject: 15 } });
    budgetPort = await listenEphemeral(budgetServer);
  });
  afterEach(async () => {
    await closeServer(budgetServer);
  });

  it('refuses a declared length that cannot fit beside the bodies held with 503 + Retry-After, and takes one again once they are answered', async () => {
    // A 2 MiB body arrives and waits for its verdict (workers stopped): it holds 2 MiB of the 3 MiB budget.
    const held = call(budgetPort, 'POST', '/scans?wait=1.5', { body: Buffer.alloc(2 * 1024 * 1024, 0x61) });
    await waitFor(() => budgetFleet.accepted.length === 1, 3000);
    expect(budgetFleet.deps.inflight.reserved).toBe(2 * 1024 * 1024);
    const refused = await call(budgetPort, 'POST', '/scans?wait=0', { body: Buffer.alloc(1024 * 1024 + 1, 0x62) });
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('2');
    expect(refused.json).toMatchObject({ error: { code: 'AVF_ERR_BUSY' } });
    // A small one still fits.
    expect((await call(budgetPort, 'POST', '/scans?wait=0', { body: 'Subject: s\r\n\r\nsmall\r\n' })).status).toBe(202);
    expect((await held).status).toBe(202);
    expect(budgetFleet.deps.inflight.reserved).toBe(0);
    expect((await call(budgetPort, 'POST', '/scans?wait=0', { body: Buffer.alloc(2 * 1024 * 1024, 0x63) })).status).toBe(202);
  });

  it('refuses a chunked body when the bytes that arrive go over the budget, and closes', async () => {
    const held = call(budgetPort, 'POST', '/scans?wait=1.5', { body: Buffer.alloc(2 * 1024 * 1024, 0x61) });
    await waitFor(() => budgetFleet.accepted.length === 1, 3000);
    const s = connect(budgetPort, '127.0.0.1');
    let data = '';
    s.on('data', (d: Buffer) => (data += d.toString('latin1')));
    s.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => s.on('close', () => resolve()));
    s.write('POST /scans HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = Buffer.alloc(64 * 1024, 0x64);
    for (let sent = 0; sent <= 1024 * 1024 + chunk.length && !s.destroyed; sent += chunk.length) s.write(`${chunk.length.toString(16)}\r\n${chunk.toString('latin1')}\r\n`);
    await closed;
    expect(statusOf(data)).toBe(503);
    expect(data).toContain('AVF_ERR_BUSY');
    expect(data).toMatch(/retry-after: 2/i);
    await held;
    expect(budgetFleet.deps.inflight.reserved).toBe(0);
    expect(budgetFleet.accepted).toHaveLength(1);
  });
});
