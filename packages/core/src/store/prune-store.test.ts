import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FolderObjectStore } from './folder-object-store';
import { PENDING_SCAN_GUARD_MS, pruneCutoff, pruneStore } from './prune-store';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('pruneCutoff', () => {
  const now = new Date('2026-01-10T00:00:00Z');

  it('is the retention ago when no scan is in progress', () => {
    expect(pruneCutoff(now, 3 * DAY, null).toISOString()).toBe('2026-01-07T00:00:00.000Z');
  });

  it('moves back to the guard before the oldest scan in progress when that is earlier', () => {
    const oldest = Date.parse('2026-01-02T00:00:00Z');
    expect(pruneCutoff(now, 3 * DAY, oldest).getTime()).toBe(oldest - PENDING_SCAN_GUARD_MS);
    // A recent scan in progress does not move it forward.
    expect(pruneCutoff(now, 3 * DAY, now.getTime() - 1000).toISOString()).toBe('2026-01-07T00:00:00.000Z');
  });

  it('refuses a negative or non-finite retention', () => {
    expect(() => pruneCutoff(now, -1, null)).toThrow(RangeError);
    expect(() => pruneCutoff(now, Number.NaN, null)).toThrow(RangeError);
  });
});

describe('pruneStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'avfleet-prune-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function aged(store: FolderObjectStore, key: string, ms: number): Promise<void> {
    const t = new Date(Date.now() - ms);
    await fs.utimes(store.pathFor(key), t, t);
  }

  it('keeps what a scan in progress enqueued 5 days ago may read, past a 3-day retention; removes it once no scan is pending', async () => {
    const store = new FolderObjectStore(dir);
    const body = randomBytes(40);
    const msg = await store.putMessage('waiting', Buffer.from('raw'), new Date(Date.now() - 5 * DAY)); // its day folder is that day
    const { key: part } = await store.putPart(sha256(body), body);
    await aged(store, msg, 5 * DAY + HOUR / 2);
    await aged(store, part, 5 * DAY + HOUR / 2);
    const enqueued = Date.now() - 5 * DAY; // its flow was added half an hour after the writes

    const held = await pruneStore(store, { retentionMs: 3 * DAY, oldestPendingMs: async () => enqueued });
    expect(held.report).toMatchObject({ messages: 0, parts: 0 });
    expect(held.cutoff.getTime()).toBe(enqueued - PENDING_SCAN_GUARD_MS);
    expect(await store.exists(msg)).toBe(true);
    expect(await store.exists(part)).toBe(true);

    const freed = await pruneStore(store, { retentionMs: 3 * DAY, oldestPendingMs: async () => null });
    expect(freed.report).toMatchObject({ messages: 1, parts: 1, complete: true });
    expect(await store.exists(msg)).toBe(false);
  });

  it('passes the bound on to the store (200 000 entries unless told)', async () => {
    const store = new FolderObjectStore(dir);
    const prune = jest.spyOn(store, 'prune');
    await pruneStore(store, { retentionMs: DAY, oldestPendingMs: async () => null });
    await pruneStore(store, { retentionMs: DAY, oldestPendingMs: async () => null, maxEntries: 7 });
    expect(prune.mock.calls.map((c) => c[0].maxEntries)).toEqual([200_000, 7]);
  });
});
