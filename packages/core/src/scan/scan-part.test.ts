import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Registry } from 'prom-client';
import { buildAntivirusConfig, parseUcl, type Rule } from '@avfleet/config';
import { NOOP_LOGGER, RuleVerdictCache, VerdictCache, createFleetMetrics, type ObjectStore, type ScanJobData } from '../index';
import { clean, fail, virus, type ScanBody, type Scanner, type Verdict } from '@avfleet/scanners';
import { WHOLE_READ_MAX_BYTES } from '../contracts/scan-job-data';
import { createScanPart, signatureVersionWithin } from './scan-part';

const RULE_CONF = `clamav {
  scan_mime_parts = true;
  symbol = "CLAM_VIRUS";
  servers = "127.0.0.1:3310";
  timeout = 5s;
  retransmits = 0;
  prefix = "t_";
}`;

function rule(): Rule {
  const config = buildAntivirusConfig(parseUcl(RULE_CONF, { filename: 'antivirus.conf' }).value);
  return config.rules[0] as Rule;
}

class MemoryRedis {
  readonly values = new Map<string, string>();
  async mget(...keys: string[]): Promise<(string | null)[]> {
    return keys.map((key) => this.values.get(key) ?? null);
  }
  async setex(key: string, _ttl: number, value: string): Promise<'OK'> {
    this.values.set(key, value);
    return 'OK';
  }
}

/** A folder-like store over a map that records which read each key got. */
class MemoryStore {
  readonly reads: string[] = [];
  constructor(private readonly objects: Map<string, Buffer>) {}
  async get(key: string): Promise<Buffer> {
    this.reads.push(`get ${key}`);
    return this.bytes(key);
  }
  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    this.reads.push(`range ${key} ${offset}+${length}`);
    return this.bytes(key).subarray(offset, offset + length);
  }
  async getStream(key: string): Promise<Readable> {
    this.reads.push(`stream ${key}`);
    const { Readable } = await import('node:stream');
    const bytes = this.bytes(key);
    const chunks: Buffer[] = [];
    for (let off = 0; off < bytes.length; off += 64 * 1024) chunks.push(bytes.subarray(off, off + 64 * 1024));
    return Readable.from(chunks);
  }
  private bytes(key: string): Buffer {
    const b = this.objects.get(key);
    if (!b) throw new Error(`no object ${key}`);
    return b;
  }
}

/** A scanner that reads the whole body through open() and finds "VIRUS" in it; a body that errors is a fail, as real clients report it. */
class ReadingScanner implements Scanner {
  readonly type = 'clamav';
  readonly seen: Buffer[] = [];
  async scan(body: ScanBody): Promise<Verdict> {
    const chunks: Buffer[] = [];
    try {
      for await (const c of await body.open()) chunks.push(Buffer.from(c as Buffer));
    } catch (e) {
      return fail(`scan failed: ${(e as Error).message}`);
    }
    const bytes = Buffer.concat(chunks);
    this.seen.push(bytes);
    return bytes.includes('VIRUS') ? virus(['Test-Virus']) : clean();
  }
  async signatureVersion(): Promise<string | null> {
    return '27000';
  }
}

function jobFor(bytes: Buffer, digest: string): ScanJobData {
  const data: ScanJobData = {
    v: 1, scanId: 's1', rule: 'clamav', partIndex: '2', key: `parts/${digest}`, sha256: digest, size: bytes.length,
    filename: 'a.bin', contentType: 'application/octet-stream', substituteEicar: false, configDigest: 'd', deadlineMs: null,
  };
  return data;
}

function setup(objects: Buffer[]): { run: (i: number) => ReturnType<ReturnType<typeof createScanPart>>; store: MemoryStore; scanner: ReadingScanner; redis: MemoryRedis; digests: string[] } {
  const digests = objects.map((b) => createHash('sha256').update(b).digest('hex'));
  const store = new MemoryStore(new Map(objects.map((b, i) => [`parts/${digests[i] as string}`, b])));
  const scanner = new ReadingScanner();
  const redis = new MemoryRedis();
  const r = rule();
  const processor = createScanPart({
    rules: new Map([[r.name, r]]),
    scanners: new Map([[r.name, scanner]]),
    cache: new RuleVerdictCache(new VerdictCache(redis), false),
    store: store as unknown as ObjectStore,
    metrics: createFleetMetrics(new Registry(), { defaultMetrics: false }),
    logger: NOOP_LOGGER,
    configDigest: 'd',
  });
  return { run: (i) => processor(jobFor(objects[i] as Buffer, digests[i] as string)), store, scanner, redis, digests };
}

describe('createScanPart: the body reaches the scanner byte for byte', () => {
  it('reads a small body in one store call and a large one as a stream', async () => {
    const small = Buffer.concat([Buffer.alloc(200_000, 7), Buffer.from('VIRUS')]);
    const large = Buffer.alloc(WHOLE_READ_MAX_BYTES + 1, 9);
    const { run, store, scanner, digests } = setup([small, large]);
    const a = await run(0);
    const b = await run(1);
    expect(a.verdict).toEqual(virus(['Test-Virus']));
    expect(b.verdict).toEqual(clean());
    expect(scanner.seen[0]?.equals(small)).toBe(true);
    expect(scanner.seen[1]?.equals(large)).toBe(true);
    expect(store.reads).toEqual([`get parts/${digests[0] as string}`, `stream parts/${digests[1] as string}`]);
  });

  it('caches the verdict under the signature version and answers the next job from the cache without reading the store', async () => {
    const body = Buffer.from('VIRUS inside');
    const { run, store, redis, digests } = setup([body]);
    await run(0);
    expect([...redis.values.keys()]).toEqual([`t_27000:${digests[0] as string}`]);
    const again = await run(0);
    expect(again).toMatchObject({ cached: true, verdict: virus(['Test-Virus']) });
    expect(store.reads).toHaveLength(1);
  });

  it('turns an unreadable small body into a fail verdict as the scanner reports it (the job does not throw)', async () => {
    const body = Buffer.from('x');
    const { digests } = setup([body]);
    const r = rule();
    const failing = new MemoryStore(new Map());
    const scanner: Scanner = {
      type: 'clamav',
      async scan(b) {
        try {
          await b.open();
          return clean();
        } catch (e) {
          return { kind: 'fail', reason: 'error', text: `scan failed: ${(e as Error).message}` };
        }
      },
    };
    const processor = createScanPart({
      rules: new Map([[r.name, r]]), scanners: new Map([[r.name, scanner]]), cache: new RuleVerdictCache(new VerdictCache(new MemoryRedis()), false),
      store: failing as unknown as ObjectStore, metrics: createFleetMetrics(new Registry(), { defaultMetrics: false }),
      logger: NOOP_LOGGER, configDigest: 'd',
    });
    const out = await processor(jobFor(body, digests[0] as string));
    expect(out.verdict).toMatchObject({ kind: 'fail', text: expect.stringContaining(`no object parts/${digests[0] as string}`) });
  });
});

describe('createScanPart: a body read as a range of the stored message (D59)', () => {
  const MESSAGE_KEY = 'messages/2026/01/02/m1.eml';
  const payload = Buffer.concat([Buffer.alloc(5000, 3), Buffer.from('VIRUS at the end')]);
  const encoded = (payload.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
  const head = 'Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n';
  const raw = Buffer.from(`${head}${encoded}\r\n--B--\r\n`, 'latin1');
  const range = { offset: Buffer.byteLength(head), length: encoded.length, encoding: 'base64' };

  function processorOver(message: Buffer): { run: (job: ScanJobData) => ReturnType<ReturnType<typeof createScanPart>>; store: MemoryStore; scanner: ReadingScanner; redis: MemoryRedis } {
    const store = new MemoryStore(new Map([[MESSAGE_KEY, message]]));
    const scanner = new ReadingScanner();
    const redis = new MemoryRedis();
    const r = rule();
    const run = createScanPart({
      rules: new Map([[r.name, r]]), scanners: new Map([[r.name, scanner]]), cache: new RuleVerdictCache(new VerdictCache(redis), false),
      store: store as unknown as ObjectStore, metrics: createFleetMetrics(new Registry(), { defaultMetrics: false }), logger: NOOP_LOGGER, configDigest: 'd',
    });
    return { run, store, scanner, redis };
  }
  const job = (over: Partial<ScanJobData> = {}): ScanJobData => ({
    ...jobFor(payload, createHash('sha256').update(payload).digest('hex')), key: MESSAGE_KEY, range, ...over,
  });

  it('reads the range once, decodes it and scans the decoded bytes; the next job is answered from the cache', async () => {
    const { run, store, scanner } = processorOver(raw);
    expect((await run(job())).verdict).toEqual(virus(['Test-Virus']));
    expect(scanner.seen[0]?.equals(payload)).toBe(true);
    expect(store.reads).toEqual([`range ${MESSAGE_KEY} ${range.offset}+${range.length}`]);
    expect(await run(job())).toMatchObject({ cached: true, verdict: virus(['Test-Virus']) });
    expect(store.reads).toHaveLength(1);
  });

  it('gives a fail verdict naming AVF_ERR_STORE_BODY_MISMATCH, never clean, when the range decodes to other bytes; nothing is cached', async () => {
    // The same layout with a harmless payload: the bytes there decode, but not to what the job expects.
    const other = Buffer.from(raw.toString('latin1').replace(encoded, Buffer.alloc(payload.length, 1).toString('base64').match(/.{1,76}/g)!.join('\r\n')), 'latin1');
    const { run, scanner, redis } = processorOver(other);
    const out = await run(job());
    expect(out.verdict).toMatchObject({ kind: 'fail', reason: 'error', text: expect.stringContaining('AVF_ERR_STORE_BODY_MISMATCH') });
    expect(scanner.seen).toHaveLength(0);
    expect(redis.values.size).toBe(0);
    // A range shifted by one byte is a mismatch too.
    const shifted = await run(job({ range: { ...range, offset: range.offset + 1 } }));
    expect(shifted.verdict).toMatchObject({ kind: 'fail', text: expect.stringContaining('AVF_ERR_STORE_BODY_MISMATCH') });
  });

  it('does not read the range for a substituted EICAR body', async () => {
    const { run, store, scanner } = processorOver(raw);
    await run(job({ substituteEicar: true }));
    expect(store.reads).toEqual([]);
    expect(scanner.seen[0]?.toString('latin1')).toContain('EICAR-STANDARD-ANTIVIRUS-TEST-FILE');
  });
});

describe('signatureVersionWithin', () => {
  afterEach(() => jest.restoreAllMocks());

  it('answers a version the scanner already holds without arming a timer', async () => {
    const timers = jest.spyOn(global, 'setTimeout');
    const scanner: Scanner = { type: 'clamav', scan: async () => clean(), signatureVersion: () => Promise.resolve('27001') };
    await expect(signatureVersionWithin(scanner, 1000)).resolves.toBe('27001');
    expect(timers).not.toHaveBeenCalled();
  });

  it('waits for a version that takes a while, within the limit', async () => {
    const scanner: Scanner = {
      type: 'clamav', scan: async () => clean(),
      signatureVersion: () => new Promise((resolve) => setTimeout(() => resolve('27002'), 20)),
    };
    await expect(signatureVersionWithin(scanner, 2000)).resolves.toBe('27002');
  });

  it('gives null when the scanner does not answer in time, fails, or has no versions', async () => {
    const hangs: Scanner = { type: 'clamav', scan: async () => clean(), signatureVersion: () => new Promise(() => undefined) };
    const started = Date.now();
    await expect(signatureVersionWithin(hangs, 50)).resolves.toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    const fails: Scanner = { type: 'clamav', scan: async () => clean(), signatureVersion: () => Promise.reject(new Error('down')) };
    await expect(signatureVersionWithin(fails, 1000)).resolves.toBeNull();
    await expect(signatureVersionWithin({ type: 'x', scan: async () => clean() }, 1000)).resolves.toBeNull();
  });
});

describe('createScanPart: the verdict cache write (D62)', () => {
  it('is not awaited: a write that fails is a warning, the scan still answers with its verdict', async () => {
    const body = Buffer.from('VIRUS here');
    const digest = createHash('sha256').update(body).digest('hex');
    const r = rule();
    const warnings: string[] = [];
    let release!: () => void;
    const writing = new Promise<void>((resolve) => (release = resolve));
    const cache = {
      rspamdCompat: false,
      lookup: async () => ({ key: `t_27000:${digest}`, verdict: null }),
      remember: async () => {
        await writing;
        throw new Error('Redis gone');
      },
    };
    const logger = { ...NOOP_LOGGER, warn: (_o: unknown, msg: string) => void warnings.push(msg) };
    const scanPart = createScanPart({
      rules: new Map([[r.name, r]]),
      scanners: new Map([[r.name, new ReadingScanner()]]),
      cache: cache as unknown as RuleVerdictCache,
      store: new MemoryStore(new Map([[`parts/${digest}`, body]])) as unknown as ObjectStore,
      metrics: createFleetMetrics(new Registry(), { defaultMetrics: false }),
      logger: logger as typeof NOOP_LOGGER,
      configDigest: 'd',
    });
    // Answered while the cache write is still in flight.
    await expect(scanPart(jobFor(body, digest))).resolves.toMatchObject({ cached: false, verdict: virus(['Test-Virus']) });
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings).toEqual(['verdict cache write failed (the next scan of these bytes scans again)']);
  });
});
