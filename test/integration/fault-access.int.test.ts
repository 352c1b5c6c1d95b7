import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import { FolderObjectStore } from '@avfleet/core';
import { freePort, startFleetProcess, type FleetProcess } from '../helpers/fleet-processes';
import { cleanupPrefix, testPrefix, teardownThenDisconnect } from '../helpers/redis-prefix';
import { testServices } from '../helpers/test-services';

/**
 * Access control on a real producer process: AVFLEET_API_TOKEN guards the scan
 * routes (401 without it), /metrics lives only on --metrics-listen, oversized
 * header blocks are refused, and no request reaches outside the store's folder.
 */

jest.setTimeout(60000);

const TOKEN = `tok-${randomBytes(12).toString('hex')}`;
const services = testServices();
const redis = new IORedis(services.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
const prefix = testPrefix('fault-access.int.test.ts');
let dir: string;
let producer: FleetProcess;
let metricsUrl: string;

function message(): Buffer {
  const tag = randomBytes(6).toString('hex');
  return Buffer.from(`From: a@example.org\r\nTo: b@example.org\r\nSubject: access ${tag}\r\nMessage-ID: <${tag}@avfleet.test>\r\n\r\nhello\r\n`, 'latin1');
}

/** Sends raw bytes and returns the first response line (or '' when the server just closes). */
function rawRequest(port: number, bytes: Buffer, timeoutMs = 20000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let got = '';
    sock.on('data', (d: Buffer) => (got += d.toString('latin1')));
    sock.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? resolve(got.split('\r\n')[0] ?? '') : reject(e)));
    sock.on('close', () => resolve(got.split('\r\n')[0] ?? ''));
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    sock.write(bytes);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'avft-access-'));
  const configPath = join(dir, 'antivirus.conf');
  writeFileSync(configPath, `clamav {\n  scan_mime_parts = false;\n  symbol = "CLAM_VIRUS";\n  servers = "${services.clamd.host}:${services.clamd.port}";\n  prefix = "${prefix}cache_";\n}\n`);
  const metricsPort = await freePort();
  metricsUrl = `http://127.0.0.1:${metricsPort}`;
  producer = await startFleetProcess({
    role: 'producer', configPath, listen: `127.0.0.1:${await freePort()}`, args: ['--metrics-listen', `127.0.0.1:${metricsPort}`],
    env: { AVFLEET_QUEUE_PREFIX: prefix.slice(0, -1), AVFLEET_REDIS_URL: services.redisUrl, AVFLEET_STORE: join(dir, 'store'), AVFLEET_API_TOKEN: TOKEN },
  });
});

afterAll(() =>
  teardownThenDisconnect(redis, async () => {
    await producer?.stop();
    await cleanupPrefix(redis, prefix);
    rmSync(dir, { recursive: true, force: true });
  }),
);

describe('AVFLEET_API_TOKEN', () => {
  test.each([
    ['no token', {}],
    ['a wrong bearer token', { authorization: `Bearer ${TOKEN}x` }],
    ['a wrong Password header', { password: 'guess' }],
    ['the token in the wrong scheme', { authorization: `Basic ${TOKEN}` }],
  ])('POST /scans with %s: 401 with a JSON error', async (_label, headers) => {
    const res = await fetch(`${producer.baseUrl}/scans?wait=0`, { method: 'POST', body: message(), headers });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('AVF_ERR_UNAUTHORIZED');
  });

  test('GET /scans/:id and POST /checkv2 need it too', async () => {
    expect((await fetch(`${producer.baseUrl}/scans/some-id`)).status).toBe(401);
    expect((await fetch(`${producer.baseUrl}/checkv2`, { method: 'POST', body: message() })).status).toBe(401);
  });

  test('Bearer and Password (rspamc -P) both work; health routes need none', async () => {
    const bearer = await fetch(`${producer.baseUrl}/scans?wait=0`, { method: 'POST', body: message(), headers: { authorization: `Bearer ${TOKEN}` } });
    expect(bearer.status).toBe(202);
    const id = ((await bearer.json()) as { id: string }).id;
    const password = await fetch(`${producer.baseUrl}/scans/${id}`, { headers: { password: TOKEN } });
    expect(password.status).toBe(200);
    expect((await fetch(`${producer.baseUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${producer.baseUrl}/readyz`)).status).toBe(200);
  });
});

test('/metrics is served on --metrics-listen only', async () => {
  expect((await fetch(`${producer.baseUrl}/metrics`)).status).toBe(404);
  const res = await fetch(`${metricsUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(await res.text()).toMatch(/^# (HELP|TYPE) /m);
});

test('an oversized header block is refused (431), the server carries on', async () => {
  const port = Number(new URL(producer.baseUrl).port);
  const huge = `POST /scans HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nX-Filler: ${'a'.repeat(64 * 1024)}\r\nContent-Length: 5\r\n\r\nhello`;
  expect(await rawRequest(port, Buffer.from(huge, 'latin1'))).toMatch(/^HTTP\/1\.1 431/);
  expect((await fetch(`${producer.baseUrl}/healthz`)).status).toBe(200);
});

test('a slow client that never finishes its headers is cut off (header timeout 30 s)', async () => {
  // Node checks the header timeout every 30 s: the socket is closed 30–60 s after it opened.
  // Bound: 2 × 60 s + 1 s (docs/interfaces.md §6.6).
  const port = Number(new URL(producer.baseUrl).port);
  const started = Date.now();
  const line = await rawRequest(port, Buffer.from(`GET /healthz HTTP/1.1\r\nHost: x\r\n`, 'latin1'), 121000);
  expect(line === '' || /^HTTP\/1\.1 408/.test(line)).toBe(true);
  expect(Date.now() - started).toBeGreaterThanOrEqual(29000);
  // Meanwhile, and after, other clients are served.
  expect((await fetch(`${producer.baseUrl}/healthz`)).status).toBe(200);
}, 150000);

describe('no path traversal into the folder store', () => {
  test.each(['..%2F..%2F..%2Fetc%2Fpasswd', '..', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', 'messages%2F..%2F..%2F..%2Fetc%2Fpasswd'])(
    'GET /scans/%s is a 404, never a file',
    async (id) => {
      const res = await fetch(`${producer.baseUrl}/scans/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect([400, 404]).toContain(res.status);
      const text = await res.text();
      expect(text).not.toMatch(/root:/);
      expect(JSON.parse(text)).toHaveProperty('error.code');
    },
  );

  test.each(['../etc/passwd', 'parts/../../etc/passwd', 'messages/2024/01/01/../../../../etc/passwd.eml', '/etc/passwd', 'parts/ab/../../x'])(
    'the folder store refuses key %s',
    async (key) => {
      const store = new FolderObjectStore(join(dir, 'store'));
      await expect(store.get(key)).rejects.toThrow();
      await expect(store.getStream(key)).rejects.toThrow();
      expect(() => store.pathFor(key)).toThrow();
    },
  );
});
