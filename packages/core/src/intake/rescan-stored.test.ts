import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestMeta } from '../contracts/request-meta';
import type { ScanResult } from '../contracts/scan-result';
import { newScanId, scanIdTime } from '../contracts/scan-id';
import { encodeStoredRequest, parseStoredRequest } from '../contracts/stored-request';
import { NOOP_LOGGER } from '../observe/logger';
import { FolderObjectStore } from '../store/folder-object-store';
import { messageKey } from '../store/part-key';
import type { AcceptedMessage, ScanAgain } from './accept-message';
import { rescanGate, rescanStored, type RescanStoredDeps } from './rescan-stored';

const META: RequestMeta = {
  ip: '192.0.2.7', helo: 'mx.example.org', hostname: 'mx.example.org', from: 'a@example.org', rcpt: ['b@example.org', 'c@example.org'],
  queueId: 'Q123', user: null, score: 12.5, deadlineSec: 4,
};
const TTL_MS = 3_600_000;

let dir: string;
let store: FolderObjectStore;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'avf-rescan-'));
  store = new FolderObjectStore(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Accepted { raw: string; meta: RequestMeta; shape: string; again: ScanAgain }

/** Deps around the real folder store; the intake and the Redis claim are recorded. */
function deps(over: Partial<RescanStoredDeps> = {}, answer: Partial<AcceptedMessage> = {}) {
  const accepted: Accepted[] = [];
  const claims = new Set<string>();
  const d: RescanStoredDeps = {
    store,
    accept: async (raw, meta, shape, again) => {
      accepted.push({ raw: raw.toString('latin1'), meta, shape, again });
      return { scanId: again.scanId, receivedAt: 0, jobs: 1, messageId: null, result: null, ...answer };
    },
    claim: async (id) => (claims.has(id) ? false : (claims.add(id), true)),
    release: async (id) => void claims.delete(id),
    resultTtlMs: TTL_MS,
    configDigest: 'digest-now',
    logger: NOOP_LOGGER,
    ...over,
  };
  return { d, accepted, claims };
}

async function stored(raw: string, record: Buffer | undefined, at = Date.now()): Promise<string> {
  const id = newScanId(at);
  await store.putMessage(id, Buffer.from(raw, 'latin1'), new Date(at), record);
  return id;
}

describe('rescanStored', () => {
  it('runs the intake again under the same id with the stored message (without its record) and request; once while claimed', async () => {
    const raw = 'From: a@example.org\r\nSubject: lost\r\n\r\nbody\r\n';
    const id = await stored(raw, encodeStoredRequest(META, 'file', 'digest-then'));
    const { d, accepted } = deps();
    expect(await rescanStored(id, d)).toEqual({ kind: 'rescanning' });
    expect(accepted).toEqual([{
      raw, shape: 'file', meta: { ...META, deadlineSec: null },
      again: { scanId: id, messageKey: messageKey(id, new Date(scanIdTime(id)!)) },
    }]);
    // A second request meanwhile: claimed, not enqueued twice.
    expect(await rescanStored(id, d)).toEqual({ kind: 'rescanning' });
    expect(accepted).toHaveLength(1);
  });

  it('answers the result at once when the intake found every verdict cached', async () => {
    const id = await stored('Subject: cached\r\n\r\nx\r\n', encodeStoredRequest(META, 'message', 'digest-now'));
    const result = { id: 'r', state: 'done' } as unknown as ScanResult;
    const { d } = deps({}, { result, jobs: 0 });
    expect(await rescanStored(id, d)).toEqual({ kind: 'done', result });
  });

  it('gives the claim back when the intake fails, so a later request tries again', async () => {
    const id = await stored('Subject: fails\r\n\r\nx\r\n', encodeStoredRequest(META, 'message', 'digest-now'));
    let fail = true;
    const { d, accepted, claims } = deps();
    const failing: RescanStoredDeps = { ...d, accept: async (...args) => (fail ? Promise.reject(new Error('redis down')) : d.accept(...args)) };
    await expect(rescanStored(id, failing)).rejects.toThrow('redis down');
    expect(claims.has(id)).toBe(false);
    fail = false;
    expect(await rescanStored(id, failing)).toEqual({ kind: 'rescanning' });
    expect(accepted).toHaveLength(1);
  });

  it('null for a scan older than the result TTL (expired, not lost) or not stored; no_request for a message stored without a (valid) request', async () => {
    const old = await stored('Subject: old\r\n\r\nx\r\n', encodeStoredRequest(META, 'message', 'd'), Date.now() - TTL_MS - 1000);
    const { d, accepted } = deps();
    expect(await rescanStored(old, d)).toBeNull();
    expect(await rescanStored(newScanId(), d)).toBeNull();
    expect(await rescanStored('not-a-scan-id', d)).toBeNull();
    expect(await rescanStored(await stored('Subject: legacy\r\n\r\nx\r\n', undefined), d)).toEqual({ kind: 'no_request' });
    expect(await rescanStored(await stored('Subject: bad\r\n\r\nx\r\n', Buffer.from('{"v":2}')), d)).toEqual({ kind: 'no_request' });
    expect(accepted).toEqual([]);
  });
});

describe('stored request record', () => {
  it('round-trips the request without its Deadline', () => {
    expect(parseStoredRequest(encodeStoredRequest(META, 'message', 'dg'))).toEqual({ shape: 'message', configDigest: 'dg', meta: { ...META, deadlineSec: null } });
  });

  it('refuses what is not a record of this version', () => {
    const good = JSON.parse(encodeStoredRequest(META, 'message', 'dg').toString()) as Record<string, unknown>;
    const bad = [
      'not json', 'null', '[]', JSON.stringify({ ...good, v: 2 }), JSON.stringify({ ...good, shape: 'mbox' }), JSON.stringify({ ...good, configDigest: 1 }),
      JSON.stringify({ ...good, meta: { ...META, rcpt: 'b@example.org' } }), JSON.stringify({ ...good, meta: { ...META, ip: 7 } }),
      JSON.stringify({ ...good, meta: { ...META, score: 'high' } }), JSON.stringify({ ...good, meta: null }),
    ];
    for (const b of bad) expect({ b, parsed: parseStoredRequest(Buffer.from(b)) }).toEqual({ b, parsed: null });
  });
});

describe('rescanGate', () => {
  it('runs at most max at once, the others in turn, and carries on after a failure', async () => {
    const gate = rescanGate(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const job = (i: number, fail = false) => gate(async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      running -= 1;
      order.push(i);
      if (fail) throw new Error(`job ${i}`);
      return i;
    });
    const outcomes = await Promise.allSettled([job(1), job(2, true), job(3), job(4), job(5)]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(most).toBe(2);
    expect(order.sort()).toEqual([1, 2, 3, 4, 5]);
    expect(await job(6)).toBe(6);
  });
});
