/**
 * Checks that the services started by test/helpers/global-setup.ts really answer:
 * clamd (TCP + unix socket, with the project's own signatures), c-icap's virus_scan
 * backed by that clamd, s3rver through the minio client (including a multipart upload
 * that needs the launcher's ListMultipartUploads fix), and Redis.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import Redis from 'ioredis';
import { Client } from 'minio';
import { CLAMD_SCAN_SETTINGS, parseClamdConf } from '../helpers/clamd-settings';
import { cleanupPrefix, testPrefix } from '../helpers/redis-prefix';
import { fixturePath, repoRoot } from '../helpers/repo-root';
import { requireExecutable } from '../helpers/daemon-process';
import { clamdCommand, clamdInstream, clamdPing, icapExchange, icapOptions } from '../helpers/service-probes';
import { startClamd } from '../helpers/start-clamd';
import { testServices } from '../helpers/test-services';

const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';
const services = testServices();

describe('environment exported by global-setup', () => {
  it('sets every AVFLEET_TEST_* variable', () => {
    expect(process.env.AVFLEET_TEST_CLAMD).toBe('127.0.0.1:13310');
    expect(process.env.AVFLEET_TEST_CLAMD_SOCKET).toBe(`${repoRoot()}/.tmp/clamd/clamd.sock`);
    expect(process.env.AVFLEET_TEST_ICAP).toBe('icap://127.0.0.1:11344/virus_scan');
    expect(process.env.AVFLEET_TEST_S3_ENDPOINT).toBe('http://127.0.0.1:14568');
    expect(process.env.AVFLEET_TEST_REDIS_URL).toMatch(/^rediss?:\/\//);
  });
});

describe('clamd', () => {
  it('answers PING on TCP and on the unix socket', async () => {
    await expect(clamdCommand(services.clamd, 'PING')).resolves.toBe('PONG');
    await expect(clamdCommand({ socketPath: services.clamdSocket }, 'PING')).resolves.toBe('PONG');
  });

  it('answers VERSION (no official database, so no /<db version>/<date> part is required)', async () => {
    expect(await clamdCommand(services.clamd, 'VERSION')).toMatch(/^ClamAV \d+\.\d+\.\d+/);
  });

  it('finds EICAR in a raw INSTREAM with the project signatures and passes clean data', async () => {
    const padded = Buffer.concat([Buffer.from('hello\n'), Buffer.from(EICAR), Buffer.alloc(100 * 1024, 0x41)]);
    expect(await clamdInstream(services.clamd, padded)).toBe('stream: Eicar-Test-Signature.UNOFFICIAL FOUND');
    expect(await clamdInstream({ socketPath: services.clamdSocket }, Buffer.from(EICAR))).toBe(
      'stream: Eicar-Test-Signature.UNOFFICIAL FOUND',
    );
    expect(await clamdInstream(services.clamd, Buffer.from('just a harmless line of text\n'))).toBe('stream: OK');
  });
});

describe('startClamd (reusable by the CLI and the benchmark)', () => {
  it('starts a socket-only clamd with overrides and stop() ends it', async () => {
    const dir = `${repoRoot()}/.tmp/infra-test-clamd-${process.pid}`;
    const clamd = await startClamd({ dir, overrides: { AlertExceedsMax: 'yes' } });
    try {
      expect(clamd.target).toEqual({ socketPath: `${dir}/clamd.sock` });
      expect(readFileSync(clamd.configPath, 'utf8')).toMatch(/^AlertExceedsMax yes$/m);
      expect(await clamdInstream(clamd.target, Buffer.from(EICAR))).toBe('stream: Eicar-Test-Signature.UNOFFICIAL FOUND');
    } finally {
      await clamd.stop();
    }
    expect(await clamdPing(clamd.target)).toBe(false);
  });

  it('fails with a message naming the log when clamd cannot start', async () => {
    const dir = `${repoRoot()}/.tmp/infra-test-clamd-bad-${process.pid}`;
    await expect(startClamd({ dir, overrides: { NoSuchDirective: 'yes' }, readyTimeoutMs: 10000 })).rejects.toThrow(
      /AVF_ERR_TEST_CLAMD_START: .*clamd\.out/s,
    );
  });
});

describe('missing binaries', () => {
  it('say to run .ci/run or install the Debian package', () => {
    expect(() => requireExecutable('avfleet-no-such-binary', 'no-such-package')).toThrow(
      /AVF_ERR_TEST_BINARY_MISSING: .*\.ci\/run.*apt-get install --no-install-recommends no-such-package/,
    );
    expect(requireExecutable('c-icap', 'c-icap')).toMatch(/\/c-icap$/);
  });
});

describe('shipped clamd configuration and signatures', () => {
  it('deploy/clamd/clamd.conf carries the scan settings the corpus expectations need', () => {
    const shipped = parseClamdConf(readFileSync(`${repoRoot()}/deploy/clamd/clamd.conf`, 'utf8'));
    for (const [key, value] of Object.entries(CLAMD_SCAN_SETTINGS)) expect([key, shipped[key]]).toEqual([key, value]);
  });

  it('deploy/clamd/db and test/fixtures/clamd/db hold the same two signature files', () => {
    for (const name of ['avfleet-test.ndb', 'avfleet-test.hdb']) {
      const fixture = readFileSync(fixturePath('clamd', 'db', name), 'utf8');
      expect(readFileSync(`${repoRoot()}/deploy/clamd/db/${name}`, 'utf8')).toBe(fixture);
      expect(fixture).toContain('Eicar-Test-Signature');
    }
  });
});

function respmod(serviceUrl: string, body: Buffer): Buffer {
  const url = new URL(serviceUrl);
  const httpHead = `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`;
  const icapHead =
    `RESPMOD ${serviceUrl} ICAP/1.0\r\nHost: ${url.host}\r\nAllow: 204\r\n` +
    `Encapsulated: res-hdr=0, res-body=${Buffer.byteLength(httpHead)}\r\n\r\n`;
  return Buffer.concat([
    Buffer.from(icapHead + httpHead, 'latin1'),
    Buffer.from(`${body.length.toString(16)}\r\n`, 'latin1'),
    body,
    Buffer.from('\r\n0\r\n\r\n', 'latin1'),
  ]);
}

describe('c-icap virus_scan', () => {
  it('answers OPTIONS for the virus_scan service', async () => {
    const reply = await icapOptions(services.icapUrl);
    expect(reply.statusCode).toBe(200);
    expect(reply.headers.methods).toContain('RESPMOD');
    expect(reply.headers.service).toMatch(/Antivirus/i);
    expect(reply.headers.istag).toBeTruthy();
  });

  it('reports EICAR in a body over 4 KB (StartSendPercentDataAfter > MaxObjectSize) and 204 for clean data', async () => {
    const url = new URL(services.icapUrl);
    const infected = Buffer.concat([Buffer.from(EICAR), Buffer.alloc(64 * 1024, 0x41)]);
    const hit = await icapExchange(url, respmod(services.icapUrl, infected), 15000);
    expect(hit.statusCode).toBe(200);
    expect(hit.headers['x-infection-found']).toContain('Threat=Eicar-Test-Signature.UNOFFICIAL');

    const clean = await icapExchange(url, respmod(services.icapUrl, Buffer.alloc(8 * 1024, 0x42)), 15000);
    expect(clean.statusCode).toBe(204);
  });
});

describe('s3rver through the minio client', () => {
  const endpoint = new URL(services.s3Endpoint);
  const s3 = new Client({
    endPoint: endpoint.hostname,
    port: Number(endpoint.port),
    useSSL: false,
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    region: 'us-east-1',
    pathStyle: true,
  });
  const bucket = `avft-infra-${process.pid}-${Date.now().toString(36)}`;

  afterAll(async () => {
    if (!(await s3.bucketExists(bucket))) return;
    const names: string[] = [];
    for await (const item of s3.listObjectsV2(bucket, '', true)) if (item.name) names.push(item.name);
    if (names.length > 0) await s3.removeObjects(bucket, names);
    await s3.removeBucket(bucket);
  });

  it('creates a bucket, puts an object with metadata and reads it back', async () => {
    await s3.makeBucket(bucket, 'us-east-1');
    expect(await s3.bucketExists(bucket)).toBe(true);
    await s3.putObject(bucket, 'small.eml', Buffer.from('Subject: hi\r\n\r\nbody\r\n'), undefined, {
      'Content-Type': 'message/rfc822',
      'X-Amz-Meta-Avfleet-Job': 'job-1',
    });
    const stat = await s3.statObject(bucket, 'small.eml');
    expect(stat.size).toBe(21);
    expect(stat.metaData['avfleet-job']).toBe('job-1');
    const chunks: Buffer[] = [];
    for await (const chunk of await s3.getObject(bucket, 'small.eml')) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('Subject: hi\r\n\r\nbody\r\n');
    await expect(s3.statObject(bucket, 'missing')).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('takes a ~70 MiB stream of unknown length as a multipart upload', async () => {
    const mib = 1024 * 1024;
    const total = 70;
    const sent = createHash('sha256');
    let i = 0;
    const source = new Readable({
      read() {
        if (i === total) {
          this.push(null);
          return;
        }
        const chunk = Buffer.alloc(mib, i % 251);
        chunk.writeUInt32BE(i, 0);
        sent.update(chunk);
        i += 1;
        this.push(chunk);
      },
    });
    await s3.putObject(bucket, 'big.bin', source);
    const stat = await s3.statObject(bucket, 'big.bin');
    expect(stat.size).toBe(total * mib);
    const got = createHash('sha256');
    for await (const chunk of await s3.getObject(bucket, 'big.bin')) got.update(chunk as Buffer);
    expect(got.digest('hex')).toBe(sent.digest('hex'));
  }, 180000);
});

describe('Redis', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(services.redisUrl, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    await redis?.quit();
  });

  it('answers PING', async () => {
    expect(await redis.ping()).toBe('PONG');
  });

  it('testPrefix is unique and cleanupPrefix removes only keys under it', async () => {
    const prefix = testPrefix(__filename);
    const other = testPrefix(__filename);
    expect(prefix).not.toBe(other);
    expect(prefix).toMatch(/^avft:infrastructure:[0-9a-z]+:$/);
    const pipeline = redis.pipeline();
    for (let k = 0; k < 1200; k += 1) pipeline.set(`${prefix}k${k}`, 'x');
    await pipeline.exec();
    await redis.set(`${other}keep`, 'y');
    try {
      expect(await cleanupPrefix(redis, prefix)).toBe(1200);
      expect(await redis.exists(`${prefix}k0`)).toBe(0);
      expect(await redis.get(`${other}keep`)).toBe('y');
    } finally {
      await cleanupPrefix(redis, other);
    }
    expect(await redis.exists(`${other}keep`)).toBe(0);
    await expect(cleanupPrefix(redis, '')).rejects.toThrow(/AVF_ERR_TEST_PREFIX/);
  });
});
