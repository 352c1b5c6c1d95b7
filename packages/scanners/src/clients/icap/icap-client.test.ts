import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { startIcapSimulator, type IcapSimulator } from '../../../../../test/simulators/icap';
import type { ScanBody } from '../../scanner';
import type { ServerEntry } from '../../transport/upstream-list';
import { clean, fail, virus } from '../../verdict';
import { IcapClient } from './icap-client';
import { ICAP_DEFAULTS, ICAP_SETTINGS_DEFAULTS, icapSettings, type IcapClientOptions } from './icap-options';

const EICAR = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*', 'latin1');
const CLEAN = Buffer.from('nothing to see\n');
const body = (b: Buffer, more: Partial<ScanBody> = {}): ScanBody => ({ size: b.length, buffer: b, open: () => { throw new Error('not expected'); }, ...more });
const tcp = (port: number): ServerEntry => ({ kind: 'tcp', host: '127.0.0.1', port, priority: 0 });
function client(entries: ServerEntry[], extra: Partial<IcapClientOptions> = {}): IcapClient {
  return new IcapClient({ servers: { strategy: 'master-slave', explicitStrategy: true, entries }, timeoutSec: 2, retransmits: 1, ...extra });
}

describe('IcapClient against the ICAP simulator', () => {
  let sim: IcapSimulator;
  beforeAll(async () => {
    sim = await startIcapSimulator('auto');
  });
  afterAll(() => sim.close());

  it('sends Allow: 204 only when OPTIONS advertises it', async () => {
    sim.use('auto');
    expect(await client([tcp(sim.port)]).scan(body(CLEAN))).toEqual(clean());
    expect(sim.respmods.at(-1)!.headers.get('allow')).toBe('204');
    sim.use('clean');
    expect(await client([tcp(sim.port)]).scan(body(CLEAN))).toEqual(clean());
    expect(sim.respmods.at(-1)!.headers.has('allow')).toBe(false);
  });

  it('adds X-Client-IP with x_client_header, and F-Secure X-Rcpt-To / X-Mail-From only for an F-Secure server', async () => {
    const ctx = { clientIp: '192.0.2.10', rcpt: ['bob@example.org', 'carol@example.org'], from: 'alice@example.org' };
    const c = client([tcp(sim.port)], { xClientHeader: true, xRcptHeader: true, xFromHeader: true });
    sim.use('auto');
    await c.scan(body(CLEAN), ctx);
    let seen = sim.respmods.at(-1)!;
    expect(seen.headers.get('x-client-ip')).toBe('192.0.2.10');
    expect(seen.headers.has('x-rcpt-to')).toBe(false);
    sim.use('fsecure');
    expect(await c.scan(body(EICAR), ctx)).toEqual(virus(['Malware.W97M/Agent.32584203']));
    seen = sim.respmods.at(-1)!;
    expect(seen.headers.get('x-rcpt-to')).toBe('bob@example.org');
    expect(seen.headers.get('x-mail-from')).toBe('alice@example.org');
    expect(seen.headerOrder.filter((h) => h.toLowerCase() === 'x-rcpt-to')).toHaveLength(1);
    await client([tcp(sim.port)]).scan(body(CLEAN), ctx);
    expect(sim.respmods.at(-1)!.headers.has('x-client-ip')).toBe(false);
  });

  it('builds the part-mode request URL and content type', async () => {
    sim.use('auto');
    const part = body(EICAR, { filename: 'invoice 2024.doc', contentType: 'application/msword', wholeMessage: false });
    expect(await client([tcp(sim.port)]).scan(part, { clientIp: '192.0.2.10' })).toEqual(virus(['Eicar-Test-Signature']));
    let seen = sim.respmods.at(-1)!;
    expect(seen.reqHdr).toMatch(/^GET http:\/\/192\.0\.2\.10\/invoice\+2024\.doc HTTP\/1\.0\r\n/);
    expect(seen.resHdr).not.toContain('Content-Type');
    await client([tcp(sim.port)], { useSpecificContentType: true }).scan(part);
    seen = sim.respmods.at(-1)!;
    expect(seen.reqHdr).toMatch(/^GET http:\/\/127\.0\.0\.1\/invoice\+2024\.doc /); // no sender IP (D19)
    expect(seen.resHdr).toContain('Content-Type: application/msword\r\n');
    expect(seen.body.equals(EICAR)).toBe(true);
  });

  it('honours use_http_3xx_as_threat and use_http_result_header', async () => {
    sim.use('http-307');
    expect(await client([tcp(sim.port)], { useHttp3xxAsThreat: true }).scan(body(EICAR))).toEqual(virus(['pseudo-virus (redirect): 307 Temporary Redirect']));
    sim.use('x-blocked');
    expect(await client([tcp(sim.port)], { useHttpResultHeader: false }).scan(body(EICAR))).toEqual(clean());
  });

  it('weights threats with default_score', async () => {
    sim.use('mcafee');
    expect(await client([tcp(sim.port)], { defaultScore: 0.5 }).scan(body(EICAR))).toEqual(virus(['EICAR test file'], 0.5));
  });

  it('omits User-Agent with "none" and builds the extended one per request', async () => {
    sim.use('auto');
    await client([tcp(sim.port)], { userAgent: 'none' }).scan(body(CLEAN));
    expect(sim.respmods.at(-1)!.headers.has('user-agent')).toBe(false);
    expect(sim.respmods.at(-1)!.reqHdr).not.toContain('User-Agent');
    await client([tcp(sim.port)], { userAgent: 'extended', hostname: 'mx1' }).scan(body(CLEAN), { queueId: '4XkQ2abcdef' });
    expect(sim.respmods.at(-1)!.headers.get('user-agent')).toBe('avfleet/0.1.0 (mx1/4XkQ2a)');
  });

  it('builds each attempt afresh on the next server after an I/O error (D18)', async () => {
    const broken = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => broken.listen(0, '127.0.0.1', r));
    try {
      sim.use('auto');
      const port = (broken.address() as net.AddressInfo).port;
      const before = sim.respmods.length;
      expect(await client([tcp(port), tcp(sim.port)]).scan(body(EICAR))).toEqual(virus(['Eicar-Test-Signature']));
      expect(sim.respmods.length - before).toBe(1);
      const seen = sim.respmods.at(-1)!;
      expect(seen.requestLine).toBe('RESPMOD icap://127.0.0.1/scan ICAP/1.0');
      expect(seen.headerOrder.filter((h) => h === 'Encapsulated')).toHaveLength(1);
      expect(seen.body.equals(EICAR)).toBe(true);
    } finally {
      await new Promise<void>((r) => broken.close(() => r()));
    }
  });

  it('uses a status the server sent from the RESPMOD header alone before closing unread (no retry)', async () => {
    sim.use('early-413');
    const big = Buffer.concat([Buffer.alloc(4 * 1024 * 1024, 0x41), EICAR]);
    const events: boolean[] = [];
    const c = client([tcp(sim.port)], { onAttempt: (e) => events.push(e.ok) });
    const streamed: ScanBody = { size: big.length, open: () => Readable.from(Array.from({ length: 65 }, (_, i) => big.subarray(i * 65536, (i + 1) * 65536))) };
    for (const b of [body(big), streamed]) {
      const before = sim.connections;
      expect(await c.scan(b)).toEqual(fail('ICAP/1.0 413 Request Entity Too Large', 'error'));
      expect(sim.connections - before).toBe(1);
    }
    expect(events).toEqual([true, true]);
  });

  it('words exhaustion as "failed - error: <last error>"', async () => {
    const broken = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => broken.listen(0, '127.0.0.1', r));
    try {
      const v = await client([tcp((broken.address() as net.AddressInfo).port)]).scan(body(EICAR));
      expect(v).toMatchObject({ kind: 'fail', reason: 'error', text: expect.stringMatching(/^failed - error: .*closed/) });
    } finally {
      await new Promise<void>((r) => broken.close(() => r()));
    }
  });
});

describe('IcapClient over TLS (ssl)', () => {
  let dir: string;
  let sim: IcapSimulator;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'avf-icap-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    sim = await startIcapSimulator('auto', { tls: { key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) } });
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('scans over TLS with no_ssl_verify', async () => {
    expect(await client([tcp(sim.port)], { ssl: true, noSslVerify: true }).scan(body(EICAR))).toEqual(virus(['Eicar-Test-Signature']));
  });

  it('refuses an unverifiable certificate by default (a connect error, retried)', async () => {
    const v = await client([tcp(sim.port)], { ssl: true }).scan(body(EICAR));
    expect(v).toMatchObject({ kind: 'fail', text: expect.stringMatching(/^failed - error: cannot connect/) });
  });
});

describe('ICAP settings', () => {
  it('maps the snake_case rule options option by option', () => {
    const { defaultScore, ...rest } = ICAP_SETTINGS_DEFAULTS;
    expect(defaultScore).toBe(1);
    const s = icapSettings({ ...ICAP_DEFAULTS, scheme: 'virus_scan', ssl: true, x_client_header: true, user_agent: 'none', use_http_3xx_as_threat: true });
    expect(s).toEqual({ ...rest, scheme: 'virus_scan', ssl: true, xClientHeader: true, userAgent: 'none', useHttp3xxAsThreat: true });
  });

  it('spells the defaults as the configuration does, in configuration order', () => {
    expect(Object.keys(ICAP_DEFAULTS)).toEqual([
      'scheme', 'ssl', 'no_ssl_verify', 'user_agent', 'x_client_header', 'x_rcpt_header', 'x_from_header', 'req_headers_enabled',
      'http_headers_enabled', 'req_fake_url', 'use_http_result_header', 'use_http_3xx_as_threat', 'use_specific_content_type',
    ]);
    expect({ ...icapSettings(ICAP_DEFAULTS), defaultScore: 1 }).toEqual(ICAP_SETTINGS_DEFAULTS);
  });
});
