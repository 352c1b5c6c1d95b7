import type { Server } from 'node:http';
import type { ScanResult } from '@avfleet/core';
import { buildServer } from './build-server';
import { fakeFleet, sampleResult, type FakeFleet, type FakeFleetOptions } from '../../../test/fake-http-deps';
import { readRequestMeta, splitAddressList } from './request-meta';
import { call, closeServer, listenEphemeral } from '../../../test/test-client';

const MSG = 'From: a@example.com\r\nSubject: t\r\n\r\nhello\r\n';

describe('splitAddressList', () => {
  it.each([
    ['a@x', ['a@x']],
    ['a@x, b@y,c@z', ['a@x', 'b@y', 'c@z']],
    ['"Doe, John" <j@x>, k@y', ['"Doe, John" <j@x>', 'k@y']],
    ['<a,b@x>, c@y', ['<a,b@x>', 'c@y']],
    ['"a\\",b" <q@x>', ['"a\\",b" <q@x>']],
    [' , ,', []],
  ])('%j → %j', (input, want) => {
    expect(splitAddressList(input)).toEqual(want);
  });
});

describe('readRequestMeta', () => {
  it('reads every Rspamd header, with Rcpt repeatable and comma-separated', () => {
    const raw = ['IP', '192.0.2.7', 'Helo', 'mx.example', 'Hostname', 'mail.example', 'From', 's@example', 'Rcpt', 'a@x', 'rcpt', 'b@y, c@z',
      'Queue-Id', 'Q1', 'User', 'alice', 'Settings', '{"symbols_disabled":[]}', 'Score', '7.5', 'Deadline', '2.5'];
    const h: Record<string, string> = {};
    for (let i = 0; i < raw.length; i += 2) h[raw[i].toLowerCase()] ??= raw[i + 1];
    expect(readRequestMeta(h, raw)).toEqual({
      ip: '192.0.2.7', helo: 'mx.example', hostname: 'mail.example', from: 's@example', rcpt: ['a@x', 'b@y', 'c@z'],
      queueId: 'Q1', user: 'alice', score: 7.5, deadlineSec: 2.5,
    });
  });

  it.each([['[2001:db8::1]', '2001:db8::1'], ['IPv6:2001:db8::2', '2001:db8::2'], ['  10.0.0.1 ', '10.0.0.1']])('normalizes IP %j', (v, want) => {
    expect(readRequestMeta({ ip: v }, ['IP', v]).ip).toBe(want);
  });

  it.each([
    ['127.0.0.1:44294', '127.0.0.1'],
    ['[2001:db8::1]:44294', '2001:db8::1'],
    ['[::1]:25', '::1'],
    ['2001:db8::1', '2001:db8::1'],
    ['::1', '::1'],
    ['192.0.2.9', '192.0.2.9'],
    ['/var/spool/postfix/public/cleanup', null],
  ])('in Rspamd form (/checkv2) reads IP %j as %j', (v, want) => {
    expect(readRequestMeta({ ip: v }, ['IP', v], { rspamdIp: true }).ip).toBe(want);
  });

  it.each(['127.0.0.1:', '127.0.0.1:x', '[2001:db8::1]:', 'host.example:25', '999.0.0.1:25', '[nope]:25', 'unix:/x'])('in Rspamd form still refuses IP %j', (v) => {
    expect(() => readRequestMeta({ ip: v }, ['IP', v], { rspamdIp: true })).toThrow(expect.objectContaining({ code: 'AVF_ERR_BAD_REQUEST' }));
  });

  it.each(['127.0.0.1:44294', '[2001:db8::1]:44294', '/tmp/s'])('without the Rspamd form refuses IP %j (a port is /checkv2 only)', (v) => {
    expect(() => readRequestMeta({ ip: v }, ['IP', v])).toThrow(expect.objectContaining({ code: 'AVF_ERR_BAD_REQUEST' }));
  });

  it.each([
    [{ ip: 'not-an-ip' }, /IP/],
    [{ score: 'high' }, /Score/],
    [{ deadline: 'soon' }, /Deadline/],
    [{ deadline: '-1' }, /Deadline/],
    [{ deadline: 'NaN' }, /Deadline/],
    [{ deadline: 'Infinity' }, /Deadline/],
    [{ deadline: '-Infinity' }, /Deadline/],
    [{ deadline: '31536001' }, /Deadline/],
    [{ deadline: '1e300' }, /Deadline/],
  ])('refuses %j with a 400 naming the header', (h, re) => {
    expect(() => readRequestMeta(h, [])).toThrow(expect.objectContaining({ code: 'AVF_ERR_BAD_REQUEST', message: expect.stringMatching(re) }));
  });
});

it('takes a Deadline up to a year as asked (the submitter caps it to MAX_WAIT_SEC)', () => {
  expect(readRequestMeta({ deadline: '3e6' }, []).deadlineSec).toBe(3e6);
  expect(readRequestMeta({ deadline: '31536000' }, []).deadlineSec).toBe(31_536_000);
});

describe('request headers over HTTP', () => {
  let server: Server | null = null;
  afterEach(async () => {
    if (server) await closeServer(server);
    server = null;
  });
  async function start(opts: FakeFleetOptions): Promise<{ port: number; fleet: FakeFleet }> {
    const fleet = fakeFleet(opts);
    server = buildServer(fleet.deps, { serveMetrics: false, thresholds: { reject: 15 } });
    return { port: await listenEphemeral(server), fleet };
  }

  it('passes the headers to intake, repeated Rcpt lines included', async () => {
    const { port, fleet } = await start({});
    const r = await call(port, 'POST', '/scans', {
      body: MSG,
      headers: { IP: '198.51.100.4', Helo: 'h', Hostname: 'n', From: 'f@x', Rcpt: ['r1@x', 'r2@x, r3@x'], 'Queue-Id': '4XkQ2', User: 'u', Settings: '{}', Score: '3', Deadline: '9' },
    });
    expect(r.status).toBe(200);
    expect(fleet.accepted[0].meta).toEqual({
      ip: '198.51.100.4', helo: 'h', hostname: 'n', from: 'f@x', rcpt: ['r1@x', 'r2@x', 'r3@x'], queueId: '4XkQ2', user: 'u', score: 3, deadlineSec: 9,
    });
    expect(r.json).toMatchObject({ queue_id: '4XkQ2' });
  });

  it('answers 400 to a malformed header without enqueueing', async () => {
    const { port, fleet } = await start({});
    const r = await call(port, 'POST', '/checkv2', { body: MSG, headers: { IP: '999.1.1.1' } });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: { code: 'AVF_ERR_BAD_REQUEST', message: expect.stringContaining('IP') } });
    expect(fleet.accepted).toHaveLength(0);
  });

  describe('Deadline', () => {
    const partial = (id: string): ScanResult => ({
      ...sampleResult(id), state: 'done',
      symbols: { CLAM_VIRUS_FAIL: { name: 'CLAM_VIRUS_FAIL', score: 0, options: ['deadline'] } },
    });

    it('POST /scans answers by the deadline with the partial result, though wait is longer', async () => {
      const { port, fleet } = await start({ finishAfterMs: null, partialFor: (id) => Promise.resolve(partial(id)) });
      const t0 = Date.now();
      const r = await call(port, 'POST', '/scans?wait=30', { body: MSG, headers: { Deadline: '1' } });
      const took = Date.now() - t0;
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ id: fleet.accepted[0].scanId, symbols: { CLAM_VIRUS_FAIL: { options: ['deadline'] } } });
      expect(took).toBeGreaterThanOrEqual(500);
      expect(took).toBeLessThan(2 * 1000 + 1000);
    });

    it('/checkv2 answers by the deadline with the partial result in Rspamd shape', async () => {
      const { port } = await start({ finishAfterMs: null, partialFor: (id) => Promise.resolve(partial(id)) });
      const t0 = Date.now();
      const r = await call(port, 'POST', '/checkv2', { body: MSG, headers: { Deadline: '1' } });
      expect(Date.now() - t0).toBeLessThan(2 * 1000 + 1000);
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ action: 'no action', symbols: { CLAM_VIRUS_FAIL: { name: 'CLAM_VIRUS_FAIL', options: ['deadline'] } } });
    });

    it('answers 202 by the deadline when not even a partial result can be read', async () => {
      const { port } = await start({ finishAfterMs: null, partialFor: () => new Promise(() => undefined) });
      const t0 = Date.now();
      const r = await call(port, 'POST', '/scans?wait=30', { body: MSG, headers: { Deadline: '0.5' } });
      expect(r.status).toBe(202);
      expect(Date.now() - t0).toBeLessThan(2 * 500 + 1000);
    });

    it('answers 503 by the deadline when intake hangs, even with a long store timeout', async () => {
      const { port } = await start({ accept: () => new Promise(() => undefined), storeTimeoutMs: 20_000 });
      const t0 = Date.now();
      const r = await call(port, 'POST', '/checkv2', { body: MSG, headers: { Deadline: '0.5' } });
      expect(r.status).toBe(503);
      expect(Date.now() - t0).toBeLessThan(2 * 500 + 1000);
    });

    it('returns the full result when it is ready before the deadline', async () => {
      const { port } = await start({ finishAfterMs: 30, resultFor: (id) => sampleResult(id, 'virus'), partialFor: () => Promise.reject(new Error('not called')) });
      const r = await call(port, 'POST', '/scans?wait=30', { body: MSG, headers: { Deadline: '5' } });
      expect(r).toMatchObject({ status: 200, json: { action: 'reject' } });
    });
  });
});
