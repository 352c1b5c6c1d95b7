import type { Server } from 'node:http';
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
