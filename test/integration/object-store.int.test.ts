import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Client } from 'minio';
import { describeObjectStoreContract } from '../../packages/core/test/object-store-contract';
import { createObjectStore } from '../../packages/core/src/store/create-object-store';
import { MinioObjectStore } from '../../packages/core/src/store/minio-object-store';
import type { ObjectStore } from '../../packages/core/src/store/object-store';
import { testServices } from '../helpers/test-services';

/**
 * The S3 store against s3rver (started by the integration globalSetup at
 * AVFLEET_TEST_S3_ENDPOINT): the shared contract, bucket creation on first
 * use, and fast failure when the endpoint does not answer.
 * Each run uses its own buckets and deletes them afterwards.
 */

const endpoint = testServices().s3Endpoint;
const url = new URL(endpoint);
const admin = new Client({ endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey: 'S3RVER', secretKey: 'S3RVER' });
const runTag = `${process.pid}-${randomBytes(3).toString('hex')}`;
const buckets: string[] = [];

function newBucketName(label: string): string {
  const name = `avf-store-${label}-${runTag}`.toLowerCase();
  buckets.push(name);
  return name;
}

function s3Store(bucket: string, extra: { endpoint?: string; requestTimeoutMs?: number } = {}): MinioObjectStore {
  return new MinioObjectStore({
    bucket,
    endpoint: extra.endpoint ?? endpoint,
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    region: 'us-east-1',
    requestTimeoutMs: extra.requestTimeoutMs,
  });
}

async function emptyAndRemoveBucket(bucket: string): Promise<void> {
  if (!(await admin.bucketExists(bucket))) return;
  const names: string[] = [];
  for await (const item of admin.listObjectsV2(bucket, '', true)) {
    if (item.name) names.push(item.name);
  }
  // one by one: s3rver answers 500 to the multi-object DeleteObjects call
  for (const name of names) await admin.removeObject(bucket, name);
  await admin.removeBucket(bucket);
}

afterAll(async () => {
  for (const b of buckets) await emptyAndRemoveBucket(b);
});

describeObjectStoreContract('s3 (minio client against s3rver)', async () => {
  const bucket = newBucketName('contract');
  expect(await admin.bucketExists(bucket)).toBe(false);
  return s3Store(bucket);
});

describe('MinioObjectStore against s3rver', () => {
  it('creates its bucket on first write and finds it again', async () => {
    const bucket = newBucketName('create');
    const store = s3Store(bucket);
    expect(await admin.bucketExists(bucket)).toBe(false);
    const key = await store.putMessage('first', Buffer.from('hello'), new Date('2024-05-06T07:08:09Z'));
    expect(key).toBe('messages/2024/05/06/first.eml');
    expect(await admin.bucketExists(bucket)).toBe(true);
    // the object is under the logical key itself, with a content type
    const st = await admin.statObject(bucket, key);
    expect(st.size).toBe(5);
    expect(st.metaData['content-type']).toBe('message/rfc822');
  });

  it('ping creates a missing bucket', async () => {
    const bucket = newBucketName('ping');
    await s3Store(bucket).ping();
    expect(await admin.bucketExists(bucket)).toBe(true);
  });

  it('writes again after the bucket was removed behind its back', async () => {
    const bucket = newBucketName('recreate');
    const store = s3Store(bucket);
    await store.putMessage('a', Buffer.from('1'));
    await emptyAndRemoveBucket(bucket);
    const key = await store.putMessage('b', Buffer.from('2'));
    expect((await store.get(key)).toString()).toBe('2');
  });

  it('is what createObjectStore builds for kind s3', async () => {
    const bucket = newBucketName('factory');
    const store: ObjectStore = createObjectStore({ kind: 's3', bucket, endpoint, accessKey: 'S3RVER', secretKey: 'S3RVER', region: 'us-east-1' });
    expect(store.kind).toBe('s3');
    expect(store.prune).toBeUndefined();
    const body = Buffer.from('part');
    const { createHash } = await import('node:crypto');
    const digest = createHash('sha256').update(body).digest('hex');
    expect(await store.putPart(digest, body)).toEqual({ key: `parts/${digest}`, created: true });
  });

  it("keeps objects under the key prefix of @avfleet/config's s3://BUCKET/PREFIX/ settings", async () => {
    const bucket = newBucketName('prefix');
    const store = createObjectStore({
      kind: 's3',
      bucket,
      keyPrefix: 'avfleet/',
      endpointUrl: endpoint,
      endpoint: url.hostname,
      port: Number(url.port),
      useSSL: false,
      accessKey: 'S3RVER',
      secretKey: 'S3RVER',
      region: 'us-east-1',
    });
    const key = await store.putMessage('pfx', Buffer.from('prefixed'), new Date('2024-02-03T00:00:00Z'));
    expect(key).toBe('messages/2024/02/03/pfx.eml');
    expect((await admin.statObject(bucket, `avfleet/${key}`)).size).toBe(8);
    expect(await store.stat(key)).toMatchObject({ key, size: 8 });
    expect((await store.get(key)).toString()).toBe('prefixed');
    await store.delete(key);
    expect(await store.exists(key)).toBe(false);
  });
});

describe('MinioObjectStore when the endpoint does not answer', () => {
  /** A port nothing listens on: bind, note the port, close. */
  async function closedPort(): Promise<number> {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    return port;
  }

  async function expectUnavailableWithin(p: Promise<unknown>, boundMs: number, mustMention: string[]): Promise<number> {
    const t0 = Date.now();
    let err: unknown;
    try {
      await p;
    } catch (e) {
      err = e;
    }
    const elapsed = Date.now() - t0;
    expect(err).toMatchObject({ name: 'StoreError', code: 'AVF_ERR_STORE_UNAVAILABLE' });
    for (const s of mustMention) expect((err as Error).message).toContain(s);
    expect(elapsed).toBeLessThan(boundMs);
    return elapsed;
  }

  it('fails fast with AVF_ERR_STORE_UNAVAILABLE on a closed port, naming the endpoint and what to check', async () => {
    const port = await closedPort();
    const bad = `http://127.0.0.1:${port}`;
    const store = s3Store('avf-unreachable', { endpoint: bad, requestTimeoutMs: 1000 });
    const mention = [bad, 'AVFLEET_S3_ENDPOINT', 'ECONNREFUSED'];
    // 2x the 1 s request timeout + 1 s
    await expectUnavailableWithin(store.ping(), 3000, mention);
    await expectUnavailableWithin(store.putMessage('m', Buffer.from('x')), 3000, mention);
    await expectUnavailableWithin(store.get('parts/' + 'a'.repeat(64)), 3000, mention);
    await expectUnavailableWithin(store.stat('parts/' + 'a'.repeat(64)), 3000, mention);
  });

  describe('with a server that accepts connections and never answers', () => {
    let server: Server;
    const sockets = new Set<Socket>();
    let silentEndpoint: string;
    beforeAll(async () => {
      server = createServer((s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.resume(); // read and ignore everything
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      silentEndpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    });

    it('gives up after the request timeout instead of hanging', async () => {
      const store = s3Store('avf-silent', { endpoint: silentEndpoint, requestTimeoutMs: 500 });
      const mention = [silentEndpoint, 'ETIMEDOUT', 'AVFLEET_S3_ENDPOINT'];
      // 2x the 0.5 s timeout + 1 s; and it did wait for the timeout, not fail at once
      const elapsed = await expectUnavailableWithin(store.ping(), 2000, mention);
      expect(elapsed).toBeGreaterThanOrEqual(450);
      await expectUnavailableWithin(store.putPart('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', Buffer.alloc(0)), 2000, mention);
      await expectUnavailableWithin(store.getStream('parts/' + 'b'.repeat(64)), 2000, mention);
    });
  });
});

describe('bucket lifecycle (S3 retention)', () => {
  it('s3rver has no lifecycle support: the check says it cannot tell, without throwing', async () => {
    const store = s3Store(newBucketName('lifecycle'));
    await store.ping();
    const check = await store.checkLifecycle();
    expect(check.known).toBe(false);
    expect(check.known ? '' : check.error).toMatch(/NotImplemented|not implemented/i);
  });

  /** A bucket endpoint that keeps a lifecycle configuration as S3 does (GET/PUT ?lifecycle), for the XML both ways. */
  async function lifecycleServer(initial: string | null): Promise<{ url: string; puts: string[]; close(): Promise<void> }> {
    const { createServer: createHttpServer } = await import('node:http');
    let config = initial;
    const puts: string[] = [];
    const srv = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const lifecycle = (req.url ?? '').includes('lifecycle');
        if (req.method === 'HEAD') return void res.writeHead(200).end();
        if (req.method === 'GET' && lifecycle) {
          if (config === null) {
            res.writeHead(404, { 'Content-Type': 'application/xml' });
            return void res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchLifecycleConfiguration</Code><Message>The lifecycle configuration does not exist</Message></Error>');
          }
          res.writeHead(200, { 'Content-Type': 'application/xml' });
          return void res.end(config);
        }
        if (req.method === 'PUT' && lifecycle) {
          config = Buffer.concat(chunks).toString('utf8');
          puts.push(config);
          return void res.writeHead(200).end();
        }
        res.writeHead(501).end();
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    return { url: `http://127.0.0.1:${port}`, puts, close: () => new Promise<void>((r) => srv.close(() => r())) };
  }

  function storeAt(url: string, keyPrefix: string): MinioObjectStore {
    return new MinioObjectStore({ bucket: 'mail-store', endpoint: url, accessKey: 'k', secretKey: 's', region: 'us-east-1', keyPrefix });
  }

  it('no configuration: both prefixes uncovered; adding the rules keeps the bucket\'s other rules and then covers both', async () => {
    const srv = await lifecycleServer(null);
    try {
      const store = storeAt(srv.url, 'avf');
      expect(await store.checkLifecycle()).toEqual({ known: true, uncovered: ['avf/messages/', 'avf/parts/'] });
      await store.addExpirationRules(3);
      expect(srv.puts).toHaveLength(1);
      expect(srv.puts[0]).toContain('<Prefix>avf/messages/</Prefix>');
      expect(srv.puts[0]).toContain('<Prefix>avf/parts/</Prefix>');
      expect(srv.puts[0]).toContain('<Days>3</Days>');
      expect(await store.checkLifecycle()).toEqual({ known: true, uncovered: [] });
    } finally {
      await srv.close();
    }
  });

  it('one rule on the whole bucket (a single <Rule>) covers both; one on messages/ only leaves parts/', async () => {
    const rule = (prefix: string): string =>
      `<Rule><ID>r</ID><Status>Enabled</Status><Filter><Prefix>${prefix}</Prefix></Filter><Expiration><Days>7</Days></Expiration></Rule>`;
    const xml = (rules: string): string => `<?xml version="1.0" encoding="UTF-8"?><LifecycleConfiguration>${rules}</LifecycleConfiguration>`;
    const whole = await lifecycleServer(xml(rule('')));
    const partial = await lifecycleServer(xml(rule('messages/')));
    try {
      expect(await storeAt(whole.url, '').checkLifecycle()).toEqual({ known: true, uncovered: [] });
      expect(await storeAt(partial.url, '').checkLifecycle()).toEqual({ known: true, uncovered: ['parts/'] });
      await storeAt(partial.url, '').addExpirationRules(3);
      expect(partial.puts[0]).toContain('<Prefix>messages/</Prefix><');
      expect((partial.puts[0].match(/<Rule>/g) ?? []).length).toBe(3); // the operator's rule kept, ours added
    } finally {
      await whole.close();
      await partial.close();
    }
  });
});
