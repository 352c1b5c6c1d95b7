import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildAntivirusConfig, parseUcl } from '@avfleet/config';
import { DEFAULT_MIME_LIMITS, FolderObjectStore, NOOP_LOGGER, RuleVerdictCache, VerdictCache, partKey, type RequestMeta, type ScanJobData } from '../index';
import type { AggregateJobData } from '../contracts/aggregate-job-data';
import type { EnqueueScan } from '../queue/enqueue-scan';
import { WHOLE_READ_MAX_BYTES } from '../contracts/scan-job-data';
import { decodeTransferEncoding } from '../mime/transfer-decoding';
import { acceptMessage, type IntakeDeps } from './accept-message';
import { parseStoredRequest } from '../contracts/stored-request';

/** What one enqueue call was given: the scan's aggregation input and its part jobs. */
interface Enqueued {
  readonly data: AggregateJobData;
  readonly children: readonly { readonly data: ScanJobData }[];
}
const enqueued = (data: AggregateJobData, parts: readonly ScanJobData[]): Enqueued => ({ data, children: parts.map((p) => ({ data: p })) });

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

const FAKE_EICAR = 'not-really-eicar';
const config = buildAntivirusConfig(
  parseUcl(
    `clamav { scan_mime_parts = true; scan_image_mime = true; symbol = "CLAM_VIRUS"; type = "clamav"; servers = "127.0.0.1:3310"; eicar_fake_pattern = "${FAKE_EICAR}"; }`,
    { filename: 'antivirus.conf' },
  ).value,
);

const META: RequestMeta = { ip: null, helo: null, hostname: null, from: null, rcpt: [], queueId: null, user: null, score: null, deadlineSec: null };

function attachment(name: string, data: Buffer): string {
  const b64 = data.toString('base64').replace(/.{76}/g, '$&\r\n');
  return [`--b1`, `Content-Type: application/octet-stream; name="${name}"`, `Content-Disposition: attachment; filename="${name}"`, 'Content-Transfer-Encoding: base64', '', b64, ''].join('\r\n');
}

/** An attached message sent base64-encoded: its leaves are decoded bytes, no range of the outer message. */
function forwarded(inner: Buffer): string {
  return ['--b1', 'Content-Type: message/rfc822', 'Content-Transfer-Encoding: base64', '', inner.toString('base64').replace(/.{76}/g, '$&\r\n'), ''].join('\r\n');
}

function message(parts: readonly [string, Buffer][], extra: readonly string[] = []): Buffer {
  const head = ['From: a@example.org', 'To: b@example.org', 'Subject: parts', 'Message-ID: <t@example.org>', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b1"', ''];
  const text = ['--b1', 'Content-Type: text/plain', '', 'hello', ''];
  return Buffer.from([...head, '', ...text, ...parts.map(([n, d]) => attachment(n, d)), ...extra, '--b1--', ''].join('\r\n'));
}

describe('acceptMessage with a folder store', () => {
  let dir: string;
  let store: FolderObjectStore;
  let flows: Enqueued[];
  let messageStoredAtEnqueue: boolean[];

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'avfleet-intake-'));
    store = new FolderObjectStore(dir);
    flows = [];
    messageStoredAtEnqueue = [];
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  function deps(): IntakeDeps {
    const enqueue: EnqueueScan = async (job, parts) => {
      messageStoredAtEnqueue.push(await store.exists(job.messageKey));
      flows.push(enqueued(job, parts));
    };
    return {
      config, store, enqueue, ipWhitelists: new Map(), mimeLimits: DEFAULT_MIME_LIMITS, rejectThreshold: 15, logger: NOOP_LOGGER, probe: null, cancels: { cancel: async () => undefined },
    };
  }

  it('probes the cache for every body of the message in one round trip and enqueues only the misses', async () => {
    const values = new Map<string, string>();
    const mgets: string[][] = [];
    const client = {
      mget: async (...keys: string[]) => (mgets.push(keys), keys.map((k) => values.get(k) ?? null)),
      setex: async (k: string, _ttl: number, v: string) => (values.set(k, v), 'OK'),
    };
    const cache = new RuleVerdictCache(new VerdictCache(client), false);
    const rule = config.rules[0]!;
    const [a, b, c] = [randomBytes(5000), randomBytes(3000), randomBytes(2000)];
    await cache.remember(rule, cache.keyFor(rule, sha256(a), '27000'), { kind: 'clean' }, null);
    await cache.remember(rule, cache.keyFor(rule, sha256(c), '27000'), { kind: 'clean' }, null);
    const accepted = await acceptMessage(message([['a.bin', a], ['b.bin', b], ['c.bin', c]]), META, { ...deps(), probe: { cache, sigvers: { get: async () => '27000' } } });

    expect(mgets).toHaveLength(1);
    expect(mgets[0]).toHaveLength(3);
    expect(accepted.jobs).toBe(1);
    expect((flows[0]?.children ?? []).map((j) => (j.data as ScanJobData).sha256)).toEqual([sha256(b)]);
    expect((flows[0]?.data.preResolved ?? []).map((r) => r.cached)).toEqual([true, true]);
  });


  /** The bytes a worker scans for a job: its range of the stored message decoded, or the object under its key. */
  async function bodyOf(job: ScanJobData): Promise<Buffer> {
    if (!job.range) return store.get(job.key);
    const bytes = await store.getRange(job.key, job.range.offset, job.range.length);
    return decodeTransferEncoding(bytes, job.range.encoding).content;
  }

  it('writes the raw message once before the jobs: parts that are ranges of it are read from there, larger or decoded ones are stored on their own (D59)', async () => {
    const a = randomBytes(5000);
    const b = randomBytes(3000);
    const big = randomBytes(WHOLE_READ_MAX_BYTES + 1);
    const inner = randomBytes(2000);
    const raw = message([['a.bin', a], ['b.bin', b], ['a-again.bin', a], ['fake.bin', Buffer.from(FAKE_EICAR)], ['big.bin', big]], [forwarded(message([['inner.bin', inner]]))]);
    const accepted = await acceptMessage(raw, META, deps());

    expect(accepted.jobs).toBe(6);
    expect(messageStoredAtEnqueue).toEqual([true]);
    const messageKey = (flows[0]?.data as { messageKey: string }).messageKey;
    const children = (flows[0]?.children ?? []).map((c) => c.data as ScanJobData);
    expect(children.map((c) => [c.filename, c.key === messageKey, c.range?.encoding ?? null])).toEqual([
      ['a.bin', true, 'base64'], ['b.bin', true, 'base64'], ['a-again.bin', true, 'base64'], ['fake.bin', true, 'base64'], ['big.bin', false, null],
      ['inner.bin', false, null],
    ]);
    for (const c of children) expect({ part: c.filename, sha256: sha256(await bodyOf(c)) }).toEqual({ part: c.filename, sha256: c.sha256 });
    expect(children.map((c) => c.sha256)).toEqual([a, b, a, Buffer.from(FAKE_EICAR), big, inner].map(sha256));
    expect([children[4]?.key, children[5]?.key]).toEqual([partKey(sha256(big)), partKey(sha256(inner))]);
    expect(children.filter((c) => c.substituteEicar).map((c) => c.filename)).toEqual(['fake.bin']);
    // Two part writes: the large body and the attached message's leaf; the message itself is the only other object.
    expect((await store.get(messageKey)).equals(raw)).toBe(true);
    expect(await store.exists(partKey(sha256(big)))).toBe(true);
    expect(await store.exists(partKey(sha256(inner)))).toBe(true);
    expect((await fs.readdir(path.join(dir, 'parts'))).sort()).toEqual([...new Set([sha256(big), sha256(inner)].map((d) => d.slice(0, 2)))].sort());
  });

  it('stores the request a rescan needs with the message (D69), and a rescan of it writes nothing and never removes it', async () => {
    const meta: RequestMeta = { ...META, ip: '192.0.2.9', rcpt: ['b@example.org'], queueId: 'QID1', score: 3, deadlineSec: 5 };
    const raw = message([['a.bin', randomBytes(3000)]]);
    const first = await acceptMessage(raw, meta, deps(), Date.now(), 'message');
    const key = flows[0]!.data.messageKey;
    expect(parseStoredRequest((await store.getMessageRecord(key))!)).toEqual({ shape: 'message', configDigest: config.digest, meta: { ...meta, deadlineSec: null } });
    expect((await store.get(key)).equals(raw)).toBe(true);
    const mtime = (await store.stat(key))!.lastModified.getTime();
    // Run again under the same id from the stored message: the same jobs, the stored message untouched, even when enqueueing fails.
    const again = { scanId: first.scanId, messageKey: key };
    const rerun = await acceptMessage(await store.get(key), { ...meta, deadlineSec: null }, deps(), first.receivedAt, 'message', undefined, again);
    expect(rerun.scanId).toBe(first.scanId);
    expect(flows[1]!.children.map((c) => c.data)).toEqual(flows[0]!.children.map((c) => ({ ...c.data, deadlineMs: null })));
    const failing: IntakeDeps = { ...deps(), enqueue: async () => Promise.reject(new Error('redis down')) };
    await expect(acceptMessage(await store.get(key), meta, failing, first.receivedAt, 'message', undefined, again)).rejects.toThrow('redis down');
    expect((await store.stat(key))!.lastModified.getTime()).toBe(mtime);
    expect(await store.getMessageRecord(key)).not.toBeNull();
  });

  it('removes the stored raw message again when a part cannot be stored, and enqueues nothing', async () => {
    const stored: string[] = [];
    const deleted: string[] = [];
    const failing = Object.create(store) as FolderObjectStore;
    failing.putMessage = async (...args) => {
      const key = await store.putMessage(...args);
      stored.push(key);
      return key;
    };
    failing.putPart = () => Promise.reject(new Error('disk full'));
    failing.delete = async (key) => {
      deleted.push(key);
      await store.delete(key);
    };
    await expect(acceptMessage(message([], [forwarded(message([['a.bin', randomBytes(100)]]))]), META, { ...deps(), store: failing })).rejects.toThrow('disk full');
    expect(flows).toHaveLength(0);
    expect(stored).toHaveLength(1);
    expect(deleted).toEqual(stored);
    expect(await store.exists(stored[0]!)).toBe(false);
  });

  it('a submission refused before the enqueue (signal aborted) stores nothing and enqueues nothing', async () => {
    const refused = new AbortController();
    refused.abort(new Error('refused'));
    await expect(acceptMessage(message([['a.bin', randomBytes(100)]]), META, deps(), Date.now(), 'message', refused.signal)).rejects.toThrow('refused');
    expect(flows).toHaveLength(0);
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('a submission refused while its jobs are being added cancels the scan, naming its part jobs, once they exist', async () => {
    const refused = new AbortController();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const cancelled: [string, unknown][] = [];
    let entered: () => void = () => undefined;
    const enqueueStarted = new Promise<void>((r) => (entered = r));
    const slowEnqueue: EnqueueScan = async (job, parts) => { entered(); await gate; flows.push(enqueued(job, parts)); };
    const accepting = acceptMessage(message([['a.bin', randomBytes(100)]]), META, { ...deps(), enqueue: slowEnqueue, cancels: { cancel: async (id, parts) => { cancelled.push([id, parts]); } } }, Date.now(), 'message', refused.signal);
    await enqueueStarted; // refused while the enqueue is under way, however slow the store writes before it were
    refused.abort(new Error('refused'));
    release();
    await expect(accepting).rejects.toThrow('refused');
    expect(flows).toHaveLength(1);
    // The cancel names the part jobs, so their waiting jobs can be removed (intake/cancel-scan.ts).
    expect(cancelled).toEqual([[flows[0]!.data.scanId, flows[0]!.children.map((c) => c.data)]]);
  });

  it('without a refusal nothing is cancelled', async () => {
    const cancelled: string[] = [];
    await acceptMessage(message([['a.bin', randomBytes(100)]]), META, { ...deps(), cancels: { cancel: async (id) => { cancelled.push(id); } } }, Date.now(), 'message', new AbortController().signal);
    expect(flows).toHaveLength(1);
    expect(cancelled).toEqual([]);
  });

  it('writes into a day folder again after it was removed behind the store', async () => {
    const raw = message([['a.bin', randomBytes(100)]]);
    const first = await acceptMessage(raw, META, deps());
    const messageKey = flows[0]!.data.messageKey;
    await store.delete(messageKey);
    await fs.rmdir(path.dirname(store.pathFor(messageKey)));
    const second = await acceptMessage(raw, META, deps());
    expect(second.scanId).not.toBe(first.scanId);
    expect(messageStoredAtEnqueue).toEqual([true, true]);
  });
});

describe('acceptMessage with shape file', () => {
  it('scans the bytes as one part, not split, read as the whole stored message', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'avfleet-intake-file-'));
    const store = new FolderObjectStore(dir);
    const flows: Enqueued[] = [];
    const enqueue: EnqueueScan = async (job, parts) => void flows.push(enqueued(job, parts));
    const deps: IntakeDeps = {
      config, store, enqueue, ipWhitelists: new Map(), mimeLimits: DEFAULT_MIME_LIMITS, rejectThreshold: 15, logger: NOOP_LOGGER, probe: null, cancels: { cancel: async () => undefined },
    };
    try {
      const raw = message([['a.bin', randomBytes(500)], ['b.bin', randomBytes(700)]]);
      const asMessage = await acceptMessage(raw, META, deps);
      const asFile = await acceptMessage(raw, META, deps, Date.now(), 'file');
      expect(asMessage.jobs).toBe(2);
      expect(asFile.jobs).toBe(1);
      expect(asFile.messageId).toBeNull();
      const child = flows[1]?.children?.[0]?.data as ScanJobData;
      const messageKey = (flows[1]?.data as { messageKey: string }).messageKey;
      expect(child).toMatchObject({ partIndex: '1', sha256: sha256(raw), key: messageKey, range: { offset: 0, length: raw.length, encoding: null }, filename: null, size: raw.length });
      expect((await store.get(child.key)).equals(raw)).toBe(true);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
