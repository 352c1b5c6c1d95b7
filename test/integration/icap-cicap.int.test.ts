/**
 * IcapClient against the real c-icap + virus_scan (backed by the test clamd)
 * of the integration setup (AVFLEET_TEST_ICAP = icap://127.0.0.1:11344/virus_scan).
 * c-icap advertises `Allow: 204`, so clean bodies come back as 204 No Content.
 */
import net from 'node:net';
import { Readable } from 'node:stream';
import { clean, IcapClient, parseIcapBlock, type IcapClientOptions, type ScanBody } from '@avfleet/scanners';
import { testServices } from '../helpers/test-services';

const services = testServices();
const url = new URL(services.icapUrl);
const EICAR = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*', 'latin1');

function client(extra: Partial<IcapClientOptions> = {}): IcapClient {
  return new IcapClient({
    servers: { strategy: 'round-robin', explicitStrategy: false, entries: [{ kind: 'tcp', host: url.hostname, port: Number(url.port), priority: 0 }] },
    timeoutSec: 20,
    retransmits: 1,
    scheme: url.pathname.slice(1),
    ...extra,
  });
}
const bufferBody = (b: Buffer, more: Partial<ScanBody> = {}): ScanBody => ({ size: b.length, buffer: b, open: () => Readable.from([b]), ...more });
const streamBody = (b: Buffer): ScanBody => ({ size: b.length, open: () => Readable.from([b.subarray(0, 1000), b.subarray(1000)]) });

/** A TCP proxy in front of c-icap that records what each side sent (to see Allow: 204 and the 204 answer). */
async function recordingProxy(): Promise<{ port: number; toServer: Buffer[]; toClient: Buffer[]; close(): Promise<void> }> {
  const toServer: Buffer[] = [];
  const toClient: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((c) => {
    const i = toServer.push(Buffer.alloc(0)) - 1;
    toClient.push(Buffer.alloc(0));
    const up = net.connect(Number(url.port), url.hostname);
    sockets.add(c).add(up);
    c.on('data', (d: Buffer) => {
      toServer[i] = Buffer.concat([toServer[i]!, d]);
      up.write(d);
    });
    up.on('data', (d: Buffer) => {
      toClient[i] = Buffer.concat([toClient[i]!, d]);
      c.write(d);
    });
    c.on('close', () => up.destroy());
    up.on('close', () => c.destroy());
    c.on('error', () => undefined);
    up.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    toServer,
    toClient,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('IcapClient against c-icap virus_scan', () => {
  it('reports the small EICAR body as a virus with the name c-icap gives', async () => {
    const v = await client().scan(bufferBody(EICAR));
    expect(v).toEqual({ kind: 'virus', names: ['Eicar-Test-Signature.UNOFFICIAL'] });
  });

  it('reports EICAR inside a body over 4 KB, streamed', async () => {
    const big = Buffer.concat([EICAR, Buffer.alloc(64 * 1024, 0x41)]);
    expect(await client().scan(streamBody(big))).toEqual({ kind: 'virus', names: ['Eicar-Test-Signature.UNOFFICIAL'] });
  });

  it('reports EICAR as a MIME part (per-part request URL)', async () => {
    const v = await client().scan(bufferBody(EICAR, { filename: 'invoice 2024.doc', contentType: 'application/msword', wholeMessage: false }), { clientIp: '192.0.2.10' });
    expect(v).toEqual({ kind: 'virus', names: ['Eicar-Test-Signature.UNOFFICIAL'] });
  });

  it('passes clean bodies, small and large', async () => {
    expect(await client().scan(bufferBody(Buffer.from('Hello, nothing to see here.\n')))).toEqual(clean());
    expect(await client().scan(bufferBody(Buffer.alloc(200 * 1024, 0x42)))).toEqual(clean());
  });

  it('parses c-icap\'s OPTIONS reply and sends Allow: 204 only because it is advertised; clean comes back as 204', async () => {
    const proxy = await recordingProxy();
    try {
      const c = client({ servers: { strategy: 'round-robin', explicitStrategy: false, entries: [{ kind: 'tcp', host: '127.0.0.1', port: proxy.port, priority: 0 }] } });
      expect(await c.scan(bufferBody(Buffer.from('clean text\n')))).toEqual(clean());
      expect(proxy.toServer).toHaveLength(1); // OPTIONS and RESPMOD on one connection
      const sent = proxy.toServer[0]!.toString('latin1');
      const got = proxy.toClient[0]!.toString('latin1');
      const optionsReply = parseIcapBlock(got.slice(0, got.indexOf('\r\n\r\n')));
      expect(optionsReply.icapStatus).toMatch(/^ICAP\/1\.0 200/);
      expect(optionsReply.headers.get('methods')).toContain('RESPMOD');
      expect(optionsReply.headers.get('allow')).toContain('204');
      expect(sent).toMatch(new RegExp(`^OPTIONS icap://127\\.0\\.0\\.1/${url.pathname.slice(1)} ICAP/1\\.0\\r\\n`));
      const respmod = sent.slice(sent.indexOf('RESPMOD '));
      expect(respmod).toMatch(/\r\nAllow: 204\r\n/);
      const second = got.slice(got.indexOf('\r\n\r\n') + 4);
      expect(second).toMatch(/^ICAP\/1\.0 204 /);
    } finally {
      await proxy.close();
    }
  });
});
