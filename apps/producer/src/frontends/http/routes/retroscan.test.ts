import type { Server } from 'node:http';
import type { RetroAdmin } from '@avfleet/core';
import { ApiError } from '../api-error';
import { tokenId } from '../auth';
import { buildServer } from '../build-server';
import { fakeFleet } from '../../../../test/fake-http-deps';
import { call, closeServer, listenEphemeral } from '../../../../test/test-client';
import { matchRetroPath, startRequest } from './retroscan';

const NOW = Date.UTC(2026, 0, 2);
const body = (v: unknown): Buffer => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (err) {
    return err instanceof ApiError ? err.code : 'not an ApiError';
  }
  return undefined;
};

describe('POST /retroscan', () => {
  it('takes a known rule; since defaults to the start of the window and never goes before it', () => {
    expect(startRequest(body({ rule: 'clamav' }), ['clamav'], 3600, NOW)).toEqual({ rule: 'clamav', since: NOW - 3_600_000 });
    expect(startRequest(body({ rule: 'clamav', since: '2026-01-01T23:30:00Z' }), ['clamav'], 3600, NOW)).toEqual({ rule: 'clamav', since: NOW - 1_800_000 });
    expect(startRequest(body({ rule: 'clamav', since: NOW - 60_000 }), ['clamav'], 3600, NOW).since).toBe(NOW - 60_000);
    expect(startRequest(body({ rule: 'clamav', since: '2020-01-01T00:00:00Z' }), ['clamav'], 3600, NOW).since).toBe(NOW - 3_600_000);
  });

  it('refuses bad input with AVF_ERR_BAD_REQUEST', () => {
    for (const b of ['not json', '[]', 'null', { rule: 'other' }, { rule: 'clamav', since: 'yesterday' }, { rule: 'clamav', extra: 1 }, {}]) {
      expect(code(() => startRequest(body(b), ['clamav'], 3600, NOW))).toBe('AVF_ERR_BAD_REQUEST');
    }
  });

  it('routes', () => {
    expect(matchRetroPath('/retroscan')).toEqual({ route: 'retroscan', methods: ['POST'] });
    expect(matchRetroPath('/retro-detections')).toEqual({ route: 'retro_detections', methods: ['GET', 'HEAD'] });
    expect(matchRetroPath('/retroscan/x')).toBeNull();
  });
});

describe('the retro-scan routes on the server', () => {
  // Every server a test starts (one test starts several), all closed after it.
  let servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => closeServer(s)));
    servers = [];
  });
  const ADMIN = { authorization: 'Bearer adm' };

  async function start(adminToken: string | null, retro: RetroAdmin | null): Promise<{ port: number; started: unknown[] }> {
    const started: unknown[] = [];
    const fleet = fakeFleet({});
    const wrapped = retro && { ...retro, start: async (rule: string, since: number) => (started.push([rule, since]), retro.start(rule, since)) };
    const server = buildServer({ ...fleet.deps, apiToken: 'api', adminToken, retro: wrapped, retroWindowSec: 3600 }, { serveMetrics: true, thresholds: { reject: 15, 'add header': 6, greylist: 4 } });
    servers.push(server);
    return { port: await listenEphemeral(server), started };
  }
  const admin: RetroAdmin = {
    rules: ['clamav'],
    start: async (rule, since) => ({ id: 'RUN1', rule, since: new Date(since).toISOString(), trigger: 'demand', parts: 7 }),
    detections: async (limit) => [{ id: 'D1', limit }],
  };

  it('exist only with an admin token and the retro-scan on; need the admin token', async () => {
    for (const [token, retro] of [[null, admin], ['adm', null]] as const) {
      const { port } = await start(token, retro);
      expect((await call(port, 'GET', '/retro-detections', { headers: ADMIN })).status).toBe(404);
      expect((await call(port, 'POST', '/retroscan', { headers: ADMIN, body: '{"rule":"clamav"}' })).status).toBe(404);
    }
    const { port, started } = await start('adm', admin);
    expect((await call(port, 'GET', '/retro-detections')).status).toBe(401);
    expect((await call(port, 'GET', '/retro-detections', { headers: { authorization: 'Bearer api' } })).status).toBe(403);
    expect((await call(port, 'GET', '/retroscan', { headers: ADMIN })).status).toBe(405);
    const list = await call(port, 'GET', '/retro-detections?limit=5', { headers: ADMIN });
    expect(list.status).toBe(200);
    expect(list.json).toEqual({ detections: [{ id: 'D1', limit: 5 }] });
    const run = await call(port, 'POST', '/retroscan', { headers: ADMIN, body: '{"rule":"clamav"}' });
    expect(run.status).toBe(202);
    expect(run.json).toMatchObject({ id: 'RUN1', rule: 'clamav', trigger: 'demand', parts: 7, by: tokenId('adm') });
    expect(started).toHaveLength(1);
    expect((await call(port, 'POST', '/retroscan', { headers: ADMIN, body: '{"rule":"sophos"}' })).status).toBe(400);
    expect(started).toHaveLength(1);
  });
});
