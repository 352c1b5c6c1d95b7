import type { Server } from 'node:http';
import { connect } from 'node:net';
import type { ScanResult } from '@avfleet/core';
import { buildServer } from '../build-server';
import { fakeFleet, sampleResult } from '../../../../test/fake-http-deps';
import { call, closeServer, listenEphemeral } from '../../../../test/test-client';
import { rspamdMessageId, toRspamdReply } from './checkv2';

/** The top-level keys, in order, of Rspamd 3.4's /checkv2 reply (captured from rspamd 3.4), without `milter`. */
const RSPAMD_KEYS = ['is_skipped', 'score', 'required_score', 'action', 'symbols', 'messages', 'message-id', 'time_real'];

describe('toRspamdReply', () => {
  it('writes a virus result exactly as Rspamd 3.4 does', () => {
    const result: ScanResult = {
      ...sampleResult('01JD3K8V6Q0000000000000000', 'virus'),
      score: 7.5,
      symbols: {
        CLAM_VIRUS: { name: 'CLAM_VIRUS', score: 7.5, options: ['Eicar-Test-Signature.UNOFFICIAL'], description: 'ClamAV found a virus' },
        CLAM_VIRUS_FAIL: { name: 'CLAM_VIRUS_FAIL', score: 0, options: [] },
      },
    };
    const reply = toRspamdReply(result, '<eicar1@x>', 0.25);
    expect(Object.keys(reply)).toEqual([...RSPAMD_KEYS, 'scan_id']);
    expect(reply).toEqual({
      is_skipped: false,
      score: 7.5,
      required_score: 15,
      action: 'reject',
      symbols: {
        CLAM_VIRUS: { name: 'CLAM_VIRUS', score: 7.5, metric_score: 7.5, options: ['Eicar-Test-Signature.UNOFFICIAL'], description: 'ClamAV found a virus' },
        CLAM_VIRUS_FAIL: { name: 'CLAM_VIRUS_FAIL', score: 0, metric_score: 0 },
      },
      messages: { smtp_message: 'clamav: virus found: "Eicar-Test-Signature.UNOFFICIAL"' },
      'message-id': 'eicar1@x',
      time_real: 0.25,
      scan_id: '01JD3K8V6Q0000000000000000',
    });
  });

  it('writes a clean result with empty symbols and messages objects', () => {
    const reply = toRspamdReply(sampleResult('01JD3K8V6Q0000000000000001'), null, 0.01);
    expect(reply).toMatchObject({ action: 'no action', symbols: {}, messages: {}, 'message-id': 'undef' });
    expect(Array.isArray(reply.symbols)).toBe(false);
  });

  it.each([['<a@b>', 'a@b'], [' <a@b> ', 'a@b'], ['a@b', 'a@b'], ['', 'undef'], ['<>', 'undef'], [null, 'undef']])('message-id %j → %j', (input, want) => {
    expect(rspamdMessageId(input)).toBe(want);
  });
});

describe('POST /checkv2', () => {
  let server: Server | null = null;
  afterEach(async () => {
    if (server) await closeServer(server);
    server = null;
  });

  it('answers what rspamc sends (its headers, text/plain body) in Rspamd shape', async () => {
    const fleet = fakeFleet({ finishAfterMs: 10, resultFor: (id) => sampleResult(id, 'virus') });
    server = buildServer({ ...fleet.deps, apiToken: 'tok' }, { serveMetrics: false, thresholds: { reject: 15 } });
    const port = await listenEphemeral(server);
    const body = 'From: a@b\r\nMessage-ID: <m9@example.com>\r\n\r\nX5O!P%@AP\r\n';
    const r = await call(port, 'POST', '/checkv2', {
      body,
      headers: {
        'Content-Type': 'text/plain', 'User-Agent': 'rspamc', Filename: 'm.eml', Flags: 'body_block', Password: 'tok',
        IP: '1.2.3.4', 'Queue-Id': 'Q1', 'Deliver-To': 'd', Rcpt: ['a@x', 'b@y'], Connection: 'close',
      },
    });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    const json = r.json as Record<string, unknown>;
    expect(Object.keys(json)).toEqual([...RSPAMD_KEYS, 'scan_id']);
    expect(json).toMatchObject({
      is_skipped: false, action: 'reject', required_score: 15, 'message-id': 'm9@example.com',
      symbols: { CLAM_VIRUS: { name: 'CLAM_VIRUS', score: 0, metric_score: 0, options: ['Eicar-Test-Signature.UNOFFICIAL'] } },
      messages: { smtp_message: 'clamav: virus found: "Eicar-Test-Signature.UNOFFICIAL"' },
    });
    expect(json.time_real).toEqual(expect.any(Number));
    expect(fleet.accepted[0].meta).toMatchObject({ ip: '1.2.3.4', queueId: 'Q1', rcpt: ['a@x', 'b@y'] });
  });

  it('answers /checkv2/ too', async () => {
    const fleet = fakeFleet();
    server = buildServer(fleet.deps, { serveMetrics: false, thresholds: { reject: 15 } });
    const port = await listenEphemeral(server);
    expect((await call(port, 'POST', '/checkv2/', { body: 'Subject: x\r\n\r\ny' })).status).toBe(200);
  });
});

/** Sends `head` + `body` as raw bytes (exactly what a peer writes) and reads the reply until the server closes. */
function rawExchange(port: number, head: string, body: string): Promise<{ status: number; headers: Record<string, string>; json: unknown }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', reject);
    sock.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [headText, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...lines] = headText.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
      resolve({ status: Number(statusLine.split(' ')[1]), headers, json: JSON.parse(rest.join('\r\n\r\n')) });
    });
    sock.write(head + body);
  });
}

describe('/checkv2 as Rspamd 3.4\'s proxy speaks it (milter mode, avfleet as upstream)', () => {
  let server: Server | null = null;
  afterEach(async () => {
    if (server) await closeServer(server);
    server = null;
  });
  const BODY = 'From: s@example.com\r\nMessage-ID: <p1@example.com>\r\n\r\nhello\r\n';

  /**
   * The request as src/libserver/milter.c `rspamd_milter_to_http` builds it and
   * src/libserver/http/http_connection.c writes it to a loopback upstream: GET
   * (src/rspamd_proxy.c `proxy_send_master_message`), no Content-Type, `IP` with
   * the client's port. The header set is what Rspamd 3.4's proxy sent behind
   * Debian's Postfix 3.7 in test/integration/rspamd-proxy-milter.int.test.ts's setup.
   */
  const proxyRequest = (method: string, ip: string): string => [
    `${method} /checkv2 HTTP/1.1`, 'Connection: close', 'Host: 127.0.0.1', `Content-Length: ${Buffer.byteLength(BODY)}`,
    'Hostname: localhost', 'Helo: client.example', 'From: <s@example.com>', 'Rcpt: <a@example.net>', 'Rcpt: <b@example.net>',
    `IP: ${ip}`, 'Queue-ID: 4XkQ2', 'User-Agent: Postfix 3.7.11', 'MTA-Name: mx.example', 'Flags: milter,body_block', 'Mailer: discard', '', '',
  ].join('\r\n');

  async function start(apiToken: string | null = null): Promise<{ port: number; fleet: ReturnType<typeof fakeFleet> }> {
    const fleet = fakeFleet({ finishAfterMs: 10, resultFor: (id) => sampleResult(id, 'virus') });
    server = buildServer({ ...fleet.deps, apiToken }, { serveMetrics: false, thresholds: { reject: 15 } });
    return { port: await listenEphemeral(server), fleet };
  }

  it.each(['GET', 'POST', 'PUT'])('scans the body of a %s, typed exactly application/json', async (method) => {
    const { port, fleet } = await start();
    const r = await rawExchange(port, proxyRequest(method, '127.0.0.1:44294'), BODY);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.json).toMatchObject({ action: 'reject', messages: { smtp_message: 'clamav: virus found: "Eicar-Test-Signature.UNOFFICIAL"' } });
    expect(fleet.accepted).toHaveLength(1);
    expect(fleet.accepted[0].raw.toString()).toBe(BODY);
    expect(fleet.accepted[0].meta).toEqual({
      ip: '127.0.0.1', helo: 'client.example', hostname: 'localhost', from: '<s@example.com>', rcpt: ['<a@example.net>', '<b@example.net>'],
      queueId: '4XkQ2', user: null, score: null, deadlineSec: null,
    });
  });

  it.each([['[2001:db8::1]:44294', '2001:db8::1'], ['2001:db8::1', '2001:db8::1'], ['/var/run/client.sock', null]])('reads IP %j as %j', async (ip, want) => {
    const { port, fleet } = await start();
    expect((await rawExchange(port, proxyRequest('GET', ip), BODY)).status).toBe(200);
    expect(fleet.accepted[0].meta.ip).toBe(want);
  });

  it('types its errors exactly application/json too, keeping avfleet\'s error body', async () => {
    const { port, fleet } = await start('tok');
    const r = await rawExchange(port, proxyRequest('GET', '127.0.0.1:1'), BODY);
    expect(r.status).toBe(401);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.json).toEqual({ error: { code: 'AVF_ERR_UNAUTHORIZED', message: expect.any(String) } });
    const bad = await rawExchange(port, proxyRequest('GET', 'not-an-ip').replace('Flags:', 'Password: tok\r\nFlags:'), BODY);
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toBe('application/json');
    expect(bad.json).toEqual({ error: { code: 'AVF_ERR_BAD_REQUEST', message: expect.any(String) } });
    expect(fleet.accepted).toHaveLength(0);
  });
});
