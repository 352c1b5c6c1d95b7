import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startKasperskySeSimulator } from '../../../../../test/simulators/kaspersky-se';
import type { ScanBody } from '../../scanner';
import type { ServerEntry } from '../../transport/upstream-list';
import { clean, fail, virus } from '../../verdict';
import { KasperskySeClient, type KasperskySeClientOptions } from './kaspersky-se-client';

const EICAR = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*', 'latin1');
const body = (b: Buffer): ScanBody => ({ size: b.length, buffer: b, open: () => { throw new Error('not expected'); } });
const entry = (host: string, port: number): ServerEntry => ({ kind: 'tcp', host, port, priority: 0 });
const client = (entries: ServerEntry[], extra: Partial<KasperskySeClientOptions> = {}): KasperskySeClient =>
  new KasperskySeClient({ servers: { strategy: 'round-robin', explicitStrategy: false, entries }, timeoutSec: 2, retransmits: 1, ...extra });

interface Seen {
  headers: string[];
  url: string;
  body: Buffer;
  socketPort: number;
}

/** A Scan Engine double on node:http that keeps connections alive and records raw header lines. */
async function engine(make: (h: http.RequestListener) => http.Server | https.Server, host = '127.0.0.1'): Promise<{ port: number; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = make((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const b = Buffer.concat(chunks);
      seen.push({ headers: req.rawHeaders, url: req.url ?? '', body: b, socketPort: req.socket.remotePort ?? 0 });
      res.end(b.includes('EICAR') ? 'DETECT EICAR-Test-File' : 'CLEAN');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const pairs = (raw: string[]): [string, string][] => raw.flatMap((v, i) => (i % 2 === 0 ? [[v, raw[i + 1]!] as [string, string]] : []));

describe('KasperskySeClient', () => {
  it('sends the KAV protocol 1 headers in order, with sender data and auth_string', async () => {
    const e = await engine((h) => http.createServer(h));
    const c = client([entry('127.0.0.1', e.port)], { authString: 'Basic dXNlcjpwYXNz', timeoutSec: 5 });
    try {
      expect(await c.scan(body(EICAR), { clientIp: '203.0.113.7', from: 'alice@example.org' })).toEqual(virus(['EICAR-Test-File']));
      expect(e.seen[0]!.url).toBe('/scanmemory');
      expect(pairs(e.seen[0]!.headers)).toEqual([
        ['Connection', 'keep-alive'],
        ['Host', `127.0.0.1:${e.port}`],
        ['Content-Length', '68'],
        ['X-KAV-ProtocolVersion', '1'],
        ['X-KAV-Timeout', '5000'],
        ['X-KAV-HostIP', '203.0.113.7'],
        ['X-KAV-ObjectURL', '[from:alice@example.org]'],
        ['Authorization', 'Basic dXNlcjpwYXNz'],
        ['User-Agent', 'avfleet'],
      ]);
    } finally {
      await c.close();
      await e.close();
    }
  });

  it('reuses the connection with keepalive and sends Connection: close without it', async () => {
    const e = await engine((h) => http.createServer(h));
    const keep = client([entry('127.0.0.1', e.port)]);
    const once = client([entry('127.0.0.1', e.port)], { keepalive: false });
    try {
      await keep.scan(body(EICAR));
      await keep.scan(body(EICAR));
      expect(e.seen[0]!.socketPort).toBe(e.seen[1]!.socketPort);
      expect(await once.scan(body(Buffer.from('hello')))).toEqual(clean());
      expect(pairs(e.seen[2]!.headers)[0]).toEqual(['Connection', 'close']);
    } finally {
      await keep.close();
      await e.close();
    }
  });

  it('brackets IPv6 literals in the URL and Host (D8)', async () => {
    let e: Awaited<ReturnType<typeof engine>>;
    try {
      e = await engine((h) => http.createServer(h), '::1');
    } catch {
      return; // no IPv6 loopback on this host
    }
    const c = client([entry('::1', e.port)]);
    try {
      expect(await c.scan(body(EICAR))).toEqual(virus(['EICAR-Test-File']));
      expect(pairs(e.seen[0]!.headers)).toContainEqual(['Host', `[::1]:${e.port}`]);
    } finally {
      await c.close();
      await e.close();
    }
  });

  it('speaks https with use_https', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'avf-kse-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem')], { stdio: 'ignore' });
    const e = await engine((h) => https.createServer({ key: readFileSync(path.join(dir, 'k.pem')), cert: readFileSync(path.join(dir, 'c.pem')) }, h));
    const ok = client([entry('127.0.0.1', e.port)], { useHttps: true, rejectUnauthorized: false });
    const strict = client([entry('127.0.0.1', e.port)], { useHttps: true, retransmits: 0 });
    try {
      expect(await ok.scan(body(EICAR))).toEqual(virus(['EICAR-Test-File']));
      expect(await strict.scan(body(EICAR))).toEqual(fail('failed to scan and retransmits exceed', 'error'));
    } finally {
      await ok.close();
      await strict.close();
      await e.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('marks a failing server and retries on the other one', async () => {
    const sim = await startKasperskySeSimulator('reset');
    const good = await startKasperskySeSimulator('auto');
    const c = client([entry('127.0.0.1', sim.port), entry('127.0.0.1', good.port)], { retransmits: 1 });
    try {
      expect(await c.scan(body(EICAR))).toEqual(virus(['EICAR-Test-File']));
      expect(sim.connections + good.connections).toBeLessThanOrEqual(2);
      expect(good.connections).toBe(1);
    } finally {
      await c.close();
      await sim.close();
      await good.close();
    }
  });

  it('counts a server that keeps failing as down, and only that one', async () => {
    const sim = await startKasperskySeSimulator('reset');
    const good = await startKasperskySeSimulator('auto');
    let clock = 0;
    // Every failure 1 s after the previous one: 2 errors in 1 s is over maxErrors 1 per errorTime 1 s.
    const c = client([entry('127.0.0.1', sim.port), entry('127.0.0.1', good.port)], { retransmits: 1, upstream: { maxErrors: 1, errorTimeSec: 1 }, now: () => clock });
    try {
      expect(c.serversDown()).toBe(0);
      for (let i = 0; i < 6 && c.serversDown() === 0; i++) {
        expect(await c.scan(body(EICAR))).toEqual(virus(['EICAR-Test-File']));
        clock += 1000;
      }
      expect(c.serversDown()).toBe(1);
      expect(await c.isReady()).toBe(true);
    } finally {
      await c.close();
      await sim.close();
      await good.close();
    }
  });

  it('cannot use a unix socket', async () => {
    const c = new KasperskySeClient({ servers: { strategy: 'round-robin', explicitStrategy: false, entries: [{ kind: 'unix', path: '/run/kav.sock', priority: 0 }] }, timeoutSec: 1, retransmits: 0 });
    expect(await c.scan(body(EICAR))).toMatchObject({ kind: 'fail', text: expect.stringContaining('cannot use the unix socket /run/kav.sock') });
  });
});
