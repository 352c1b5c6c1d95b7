import type { Server } from 'node:http';
import { QuarantineError, type ListQuery, type Quarantine, type QuarantineEntry } from '@avfleet/core';
import { buildServer } from '../build-server';
import { fakeFleet } from '../../../../test/fake-http-deps';
import { call, closeServer, listenEphemeral } from '../../../../test/test-client';
import { tokenId } from '../auth';

const THRESHOLDS = { reject: 15, 'add header': 6, greylist: 4 };
const ENTRY: QuarantineEntry = {
  id: 'E1', quarantined_at: '2026-01-01T00:00:00.000Z', received_at: '2026-01-01T00:00:00.000Z', queue_id: 'Q', from: 's@x.org', rcpt: ['r@x.org'],
  subject: 's', size: 4, action: 'reject', score: 15, symbols: [{ name: 'CLAM_VIRUS' }], released: null,
};

let server: Server | null = null;
afterEach(async () => {
  if (server) await closeServer(server);
  server = null;
});

/** A producer whose quarantine records what the routes ask of it. */
async function start(adminToken: string | null, replace?: Partial<Pick<Quarantine, 'release'>>) {
  const calls: unknown[][] = [];
  const quarantine: Pick<Quarantine, 'list' | 'get' | 'raw' | 'release' | 'remove'> = {
    list: async (q: ListQuery) => (calls.push(['list', q]), { entries: [ENTRY], next_cursor: null }),
    get: async (id) => {
      calls.push(['get', id]);
      if (id !== 'E1') throw new QuarantineError('AVF_ERR_QUARANTINE_NOT_FOUND', `no quarantined message '${id}'`);
      return ENTRY;
    },
    raw: async (id) => (calls.push(['raw', id]), Buffer.from('A: b\r\n\r\nx\xff', 'latin1')),
    release: async (id, by) => (calls.push(['release', id, by]), { entry: { ...ENTRY, released: { at: 't', by, relay: 'h:25' } }, accepted: ['r@x.org'], relay: 'h:25' }),
    remove: async (id, by) => void calls.push(['remove', id, by]),
    ...replace,
  };
  if (server) await closeServer(server);
  const fleet = fakeFleet({});
  server = buildServer({ ...fleet.deps, apiToken: 'api', adminToken, quarantine }, { serveMetrics: true, thresholds: THRESHOLDS });
  return { port: await listenEphemeral(server), calls };
}

const ADMIN = { authorization: 'Bearer sesame' };

describe('the quarantine routes', () => {
  it('do not exist without an admin token (404, as an unknown path), whatever is sent', async () => {
    const { port, calls } = await start(null);
    for (const [method, path] of [['GET', '/quarantine'], ['GET', '/quarantine/E1'], ['POST', '/quarantine/E1/release'], ['DELETE', '/quarantine/E1']] as const) {
      const r = await call(port, method, path, { headers: { authorization: 'Bearer api' } });
      expect(r.status).toBe(404);
      expect(r.json).toMatchObject({ error: { code: 'AVF_ERR_NOT_FOUND' } });
    }
    expect(calls).toEqual([]);
  });

  it('answer 401 without a token and 403 with a wrong one (the API token is not the admin token)', async () => {
    const { port, calls } = await start('sesame');
    const none = await call(port, 'GET', '/quarantine');
    expect(none.status).toBe(401);
    expect(none.json).toMatchObject({ error: { code: 'AVF_ERR_UNAUTHORIZED' } });
    const wrong = await call(port, 'DELETE', '/quarantine/E1', { headers: { authorization: 'Bearer api' } });
    expect(wrong.status).toBe(403);
    expect(wrong.json).toMatchObject({ error: { code: 'AVF_ERR_FORBIDDEN' } });
    expect(calls).toEqual([]);
  });

  it('list passes the filters on and checks them', async () => {
    const { port, calls } = await start('sesame');
    const r = await call(port, 'GET', '/quarantine?since=2026-01-01T00:00:00Z&until=1780000000000&rcpt=r%40x.org&symbol=CLAM_VIRUS&limit=10', { headers: ADMIN });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ entries: [ENTRY], next_cursor: null });
    expect(calls).toEqual([['list', { since: Date.parse('2026-01-01T00:00:00Z'), until: 1780000000000, rcpt: 'r@x.org', symbol: 'CLAM_VIRUS', limit: 10 }]]);
    for (const q of ['limit=0', 'limit=501', 'since=yesterday', 'cursor=abc', 'colour=red']) {
      const bad = await call(port, 'GET', `/quarantine?${q}`, { headers: ADMIN });
      expect(bad.status).toBe(400);
      expect(bad.json).toMatchObject({ error: { code: 'AVF_ERR_BAD_REQUEST' } });
    }
  });

  it('show, raw (message/rfc822, the bytes as stored), release and delete, with the token id as who', async () => {
    const { port, calls } = await start('sesame');
    expect((await call(port, 'GET', '/quarantine/E1', { headers: ADMIN })).json).toEqual(ENTRY);
    const missing = await call(port, 'GET', '/quarantine/NOPE', { headers: ADMIN });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ error: { code: 'AVF_ERR_QUARANTINE_NOT_FOUND' } });
    const raw = await call(port, 'GET', '/quarantine/E1/raw', { headers: ADMIN });
    expect(raw.status).toBe(200);
    expect(raw.headers['content-type']).toBe('message/rfc822');
    expect(raw.headers['content-length']).toBe('10');
    const released = await call(port, 'POST', '/quarantine/E1/release', { headers: ADMIN });
    expect(released.json).toEqual({ id: 'E1', released: { at: 't', by: tokenId('sesame'), relay: 'h:25' }, accepted: ['r@x.org'] });
    expect((await call(port, 'DELETE', '/quarantine/E1', { headers: ADMIN })).json).toEqual({ id: 'E1', deleted: true });
    expect(calls.filter((c) => c[0] === 'release' || c[0] === 'remove')).toEqual([['release', 'E1', tokenId('sesame')], ['remove', 'E1', tokenId('sesame')]]);
    expect(tokenId('sesame')).toMatch(/^admin:[0-9a-f]{12}$/);
    expect(tokenId('sesame')).not.toContain('sesame');
    expect((await call(port, 'PUT', '/quarantine/E1', { headers: ADMIN })).status).toBe(405);
    expect((await call(port, 'GET', '/quarantine/E1/release', { headers: ADMIN })).status).toBe(405);
  });

  it('a release the relay refused is 502 with its code; one without a relay 409', async () => {
    for (const [code, status] of [['AVF_ERR_RELEASE_FAILED', 502], ['AVF_ERR_RELEASE_NOT_CONFIGURED', 409]] as const) {
      const { port } = await start('sesame', { release: async () => Promise.reject(new QuarantineError(code, 'refused')) });
      const r = await call(port, 'POST', '/quarantine/E1/release', { headers: ADMIN });
      expect(r.status).toBe(status);
      expect(r.json).toMatchObject({ error: { code } });
    }
  });
});
