import net from 'node:net';
import { TransportError } from '../errors';
import type { AttemptEvent } from '../scanner';
import { fail } from '../verdict';
import { SocketConnection } from './socket-connection';
import { UpstreamList, type ServerList } from './upstream-list';
import { FAIL_NO_UPSTREAM, FAIL_NO_UPSTREAM_FOR_RETRY, FAIL_RETRANSMITS_EXCEED, withRetransmits, type AttemptContext } from './with-retransmits';

async function listen(handler: (s: net.Socket) => void): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    count++;
    sockets.add(s);
    s.on('error', () => undefined);
    handler(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => count,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function closedPort(): Promise<number> {
  const s = await listen(() => undefined);
  await s.close();
  return s.port;
}

const servers = (...ports: number[]): ServerList => ({
  strategy: 'master-slave',
  explicitStrategy: true,
  entries: ports.map((port) => ({ kind: 'tcp' as const, host: '127.0.0.1', port, priority: 0 })),
});

/** One ping/pong exchange. */
async function pingPong(a: AttemptContext): Promise<string> {
  const c = await SocketConnection.connect(a.upstream.address, { deadlineMs: a.deadlineMs });
  try {
    await c.write(Buffer.from('ping'), { flush: true });
    a.markHealthy();
    return (await c.readUntil('\0')).toString();
  } finally {
    c.close();
  }
}

describe('withRetransmits', () => {
  it('retries on the other server after a refused connection and reports every attempt', async () => {
    const dead = await closedPort();
    const good = await listen((s) => s.once('data', () => s.write('pong\0')));
    try {
      const events: AttemptEvent[] = [];
      const out = await withRetransmits(new UpstreamList(servers(dead, good.port)), { timeoutSec: 2, retransmits: 2, onAttempt: (e) => events.push(e) }, pingPong);
      expect(out).toMatchObject({ ok: true, value: 'pong' });
      expect(events.map((e) => [e.server, e.attempt, e.ok])).toEqual([
        [`127.0.0.1:${dead}`, 1, false],
        [`127.0.0.1:${good.port}`, 2, true],
      ]);
      expect(events[0]!.error).toMatch(/^AVF_ERR_TRANSPORT_CONNECT/);
    } finally {
      await good.close();
    }
  });

  it('gives up after 1 + retransmits attempts with the exact text, reason error', async () => {
    const resetting = await listen((s) => s.resetAndDestroy());
    try {
      const out = await withRetransmits(new UpstreamList(servers(resetting.port)), { timeoutSec: 2, retransmits: 2 }, pingPong);
      expect(out).toMatchObject({ ok: false, verdict: fail(FAIL_RETRANSMITS_EXCEED, 'error') });
      expect(resetting.connections()).toBe(3);
    } finally {
      await resetting.close();
    }
  });

  it('uses reason timeout when the last attempt timed out; each attempt has its own budget', async () => {
    const silent = await listen(() => undefined);
    try {
      const started = Date.now();
      const out = await withRetransmits(new UpstreamList(servers(silent.port)), { timeoutSec: 0.3, retransmits: 1 }, pingPong);
      const elapsed = Date.now() - started;
      expect(out).toMatchObject({ ok: false, verdict: fail(FAIL_RETRANSMITS_EXCEED, 'timeout') });
      expect(silent.connections()).toBe(2);
      expect(elapsed).toBeGreaterThanOrEqual(580);
      expect(elapsed).toBeLessThan(2 * 600 + 1000);
    } finally {
      await silent.close();
    }
  });

  it('answers "no upstream available (DNS pending or all dead)" when no server is usable at the start', async () => {
    const ul = new UpstreamList({ strategy: 'round-robin', explicitStrategy: false, entries: [{ kind: 'srv', service: 'clamd', domain: 'example.com', priority: 0 }] }, {
      resolveSrv: () => new Promise(() => undefined),
    });
    const out = await withRetransmits(ul, { timeoutSec: 1, retransmits: 2 }, pingPong);
    expect(out).toMatchObject({ ok: false, verdict: fail(FAIL_NO_UPSTREAM, 'error') });
  });

  it('answers "no upstream available for retry" when the failed servers are all taken out', async () => {
    let t = 0;
    const ul = new UpstreamList(servers(1, 2), { now: () => t, random: () => 0.5 });
    for (const u of ul.all) {
      for (let i = 0; i < 10; i++) {
        ul.markFailure(u);
        t += 1000;
      }
    }
    // Both servers are one error away from being taken out.
    const out = await withRetransmits(ul, { timeoutSec: 1, retransmits: 5 }, async () => {
      throw new TransportError('AVF_ERR_TRANSPORT_TIMEOUT', 'timed out');
    });
    expect(out).toMatchObject({ ok: false, verdict: fail(FAIL_NO_UPSTREAM_FOR_RETRY, 'timeout') });
  });

  it('does not retry an answer, nor a non-transport error', async () => {
    const good = await listen((s) => s.once('data', () => s.write('pong\0')));
    try {
      let calls = 0;
      const out = await withRetransmits(new UpstreamList(servers(good.port)), { timeoutSec: 1, retransmits: 3 }, async () => {
        calls++;
        throw new Error('body stream broke');
      });
      expect(calls).toBe(1);
      expect(out).toMatchObject({ ok: false, verdict: fail('scan failed: body stream broke', 'error') });
    } finally {
      await good.close();
    }
  });

  it('stops with reason deadline once the caller deadline has passed', async () => {
    const silent = await listen(() => undefined);
    try {
      const started = Date.now();
      const out = await withRetransmits(new UpstreamList(servers(silent.port)), { timeoutSec: 5, retransmits: 3, deadlineMs: started + 300 }, pingPong);
      expect(out).toMatchObject({ ok: false, verdict: { kind: 'fail', reason: 'deadline' } });
      expect(Date.now() - started).toBeLessThan(2 * 300 + 1000);
      expect(silent.connections()).toBe(1);
    } finally {
      await silent.close();
    }
  });
});
