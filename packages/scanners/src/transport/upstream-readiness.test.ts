import net from 'node:net';
import { ClamavClient } from '../clients/clamav/clamav-client';
import { KasperskySeClient } from '../clients/kaspersky-se/kaspersky-se-client';
import type { ScanBody } from '../scanner';
import { READINESS_FRESH_MS, UpstreamList, type ServerEntry } from './upstream-list';

/**
 * Readiness and avfleet_upstream_servers_down with a scanner that is down:
 * a rule whose only server refuses connections is not ready and counts that
 * server as down (after a scan's failed connect or a readiness probe), and is
 * ready again once the server listens.
 */

const tcp = (port: number): ServerEntry => ({ kind: 'tcp', host: '127.0.0.1', port, priority: 0 });
const servers = (...ports: number[]) => ({ strategy: 'round-robin' as const, explicitStrategy: false, entries: ports.map(tcp) });
const body = (b: Buffer): ScanBody => ({ size: b.length, buffer: b, open: () => { throw new Error('not expected'); } });

async function listen(port = 0): Promise<net.Server> {
  const srv = net.createServer((s) => s.end());
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve());
  });
  return srv;
}
const portOf = (srv: net.Server): number => (srv.address() as net.AddressInfo).port;
const stop = (srv: net.Server): Promise<void> => new Promise((r) => srv.close(() => r()));

/** A port nothing listens on (bound once, then released). */
async function closedPort(): Promise<number> {
  const srv = await listen();
  const port = portOf(srv);
  await stop(srv);
  return port;
}

describe('readiness of a scanner whose only server is down', () => {
  it('probes: not ready and one server down while the port is closed, ready and none down once it listens', async () => {
    const port = await closedPort();
    let t = 1_000_000;
    const clamav = new ClamavClient({ servers: servers(port), timeoutSec: 1, retransmits: 0, now: () => t });
    expect(clamav.serversDown()).toBe(0); // nothing known yet
    expect(await clamav.isReady()).toBe(false);
    expect(clamav.serversDown()).toBe(1);
    expect(await clamav.isReady()).toBe(false); // the failed probe is trusted for READINESS_FRESH_MS

    const srv = await listen(port);
    try {
      expect(await clamav.isReady()).toBe(false); // still within READINESS_FRESH_MS of the failed probe
      t += READINESS_FRESH_MS;
      expect(await clamav.isReady()).toBe(true);
      expect(clamav.serversDown()).toBe(0);
    } finally {
      await stop(srv);
    }
  });

  it('a scan that cannot connect counts the server down without a probe, and a later successful scan clears it', async () => {
    const port = await closedPort();
    const clamav = new ClamavClient({ servers: servers(port), timeoutSec: 1, retransmits: 1 });
    expect(await clamav.scan(body(Buffer.from('hello')))).toMatchObject({ kind: 'fail' });
    expect(clamav.serversDown()).toBe(1);
    expect(await clamav.isReady()).toBe(false);
    // Still picked for scans (Rspamd never takes the only server out), so a scan finds it back at once.
    const srv = net.createServer((s) => s.on('data', (d) => d.includes(Buffer.alloc(4)) && s.end('stream: OK\0')));
    await new Promise<void>((r) => srv.listen(port, '127.0.0.1', () => r()));
    try {
      expect(await clamav.scan(body(Buffer.from('hello')))).toEqual({ kind: 'clean' });
      expect(clamav.serversDown()).toBe(0);
      expect(await clamav.isReady()).toBe(true);
    } finally {
      await stop(srv);
    }
  });

  it('with two servers, one refusing: ready, one down', async () => {
    const good = await listen();
    const port = await closedPort();
    try {
      const list = new UpstreamList(servers(portOf(good), port));
      expect(await list.probeReady(500)).toBe(true);
      expect(list.downCount()).toBe(1);
    } finally {
      await stop(good);
    }
  });

  it('shares one round of probes between concurrent readiness checks', async () => {
    let accepted = 0;
    const srv = net.createServer((s) => {
      accepted++;
      s.end();
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    try {
      const list = new UpstreamList(servers(portOf(srv)));
      expect(await Promise.all([list.probeReady(), list.probeReady(), list.probeReady()])).toEqual([true, true, true]);
      expect(await list.probeReady()).toBe(true); // fresh: no new probe
      await new Promise((r) => setTimeout(r, 50));
      expect(accepted).toBe(1);
    } finally {
      await stop(srv);
    }
  });

  it('kaspersky_se (HTTP over the same server list) reports the same', async () => {
    const port = await closedPort();
    const c = new KasperskySeClient({ servers: servers(port), timeoutSec: 1, retransmits: 0 });
    try {
      expect(await c.isReady()).toBe(false);
      expect(c.serversDown()).toBe(1);
    } finally {
      await c.close();
    }
  });
});
