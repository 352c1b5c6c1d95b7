import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeObjectStoreContract } from '../../test/object-store-contract';
import { createObjectStore } from './create-object-store';
import { FolderObjectStore } from './folder-object-store';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const DAY = 24 * 3600_000;

const tmpDirs: string[] = [];
async function makeTmp(): Promise<string> {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), 'avfleet-store-'));
  tmpDirs.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all(tmpDirs.map((d) => fs.rm(d, { recursive: true, force: true })));
});

describeObjectStoreContract('folder', async () => new FolderObjectStore(path.join(await makeTmp(), 'store')));

/** Every file below `dir`, relative, sorted. */
async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string): Promise<void> {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else out.push(path.relative(dir, full));
    }
  }
  await walk(dir);
  return out.sort();
}

/** Objects removed by a prune of everything older than `ms`. */
async function pruneOlderThan(store: FolderObjectStore, ms: number): Promise<number> {
  const r = await store.prune({ cutoff: new Date(Date.now() - ms) });
  return r.messages + r.parts;
}

async function age(file: string, ms: number): Promise<void> {
  const t = new Date(Date.now() - ms);
  await fs.utimes(file, t, t);
}

describe('FolderObjectStore on disk', () => {
  let dir: string;
  let store: FolderObjectStore;
  beforeEach(async () => {
    dir = path.join(await makeTmp(), 'nested', 'store');
    store = new FolderObjectStore(dir);
  });

  it('lays out messages by date and fans parts out by the first two hex characters, leaving no temp files', async () => {
    const body = Buffer.from('part body');
    const digest = sha256(body);
    const mkey = await store.putMessage('01JD3K8V6Q', Buffer.from('raw'), new Date('2025-12-31T23:59:59Z'));
    const { key: pkey } = await store.putPart(digest, body);
    expect(pkey).toBe(`parts/${digest}`);
    expect(await listFiles(dir)).toEqual(
      [path.join('messages', '2025', '12', '31', '01JD3K8V6Q.eml'), path.join('parts', digest.slice(0, 2), digest)].sort(),
    );
    expect(store.pathFor(pkey)).toBe(path.join(dir, 'parts', digest.slice(0, 2), digest));
    expect(await fs.readFile(store.pathFor(mkey), 'utf8')).toBe('raw');
  });

  it('replaces a message atomically when written again under the same id', async () => {
    const at = new Date('2025-01-01T00:00:00Z');
    const key = await store.putMessage('same', Buffer.from('one'), at);
    await store.putMessage('same', Buffer.from('two'), at);
    expect((await store.get(key)).toString()).toBe('two');
    expect(await listFiles(dir)).toEqual([path.join('messages', '2025', '01', '01', 'same.eml')]);
  });

  it('prunes by age: old messages, old parts and stale temp files go; recent ones and foreign files stay', async () => {
    const oldMsg = await store.putMessage('old', Buffer.from('o'), new Date('2025-01-01T00:00:00Z'));
    const newMsg = await store.putMessage('new', Buffer.from('n'), new Date('2025-01-01T00:00:00Z'));
    const oldBody = randomBytes(10);
    const newBody = randomBytes(10);
    const { key: oldPart } = await store.putPart(sha256(oldBody), oldBody);
    const { key: newPart } = await store.putPart(sha256(newBody), newBody);
    await age(store.pathFor(oldMsg), 8 * DAY);
    await age(store.pathFor(oldPart), 8 * DAY);
    const staleTmp = path.join(dir, 'parts', '.leftover.1.abc.tmp');
    await fs.writeFile(staleTmp, 'x');
    await age(staleTmp, 8 * DAY);
    const foreign = path.join(dir, 'messages', 'README');
    await fs.writeFile(foreign, 'keep me');
    await age(foreign, 30 * DAY);

    expect(await pruneOlderThan(store, 7 * DAY)).toBe(2);
    expect(await store.exists(oldMsg)).toBe(false);
    expect(await store.exists(oldPart)).toBe(false);
    expect(await store.exists(newMsg)).toBe(true);
    expect(await store.exists(newPart)).toBe(true);
    await expect(fs.stat(staleTmp)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(fs.readFile(foreign, 'utf8')).resolves.toBe('keep me');
  });

  it('removes emptied date folders when pruning messages', async () => {
    const key = await store.putMessage('gone', Buffer.from('g'), new Date('2024-06-01T00:00:00Z'));
    await age(store.pathFor(key), 30 * DAY);
    expect(await pruneOlderThan(store, 7 * DAY)).toBe(1);
    expect(await fs.readdir(path.join(dir, 'messages'))).toEqual([]);
    // and writing into that day again still works
    await store.putMessage('back', Buffer.from('b'), new Date('2024-06-01T00:00:00Z'));
    expect(await store.exists('messages/2024/06/01/back.eml')).toBe(true);
  });

  it('keeps an old part that a recent putPart found present (dedup hit refreshes its age, not lastModified)', async () => {
    const body = randomBytes(10);
    const { key } = await store.putPart(sha256(body), body);
    await age(store.pathFor(key), 8 * DAY);
    const before = await store.stat(key);
    expect(await store.putPart(sha256(body), body)).toEqual({ key, created: false });
    expect((await store.stat(key))?.lastModified.getTime()).toBe(before?.lastModified.getTime());
    expect(await pruneOlderThan(store, 7 * DAY)).toBe(0);
    expect(await store.exists(key)).toBe(true);
  });

  it('makes a folder once, not on every write, and again after a prune removed it', async () => {
    const mkdir = jest.spyOn(fs, 'mkdir');
    try {
      const at = new Date('2024-06-01T00:00:00Z');
      for (const id of ['m1', 'm2', 'm3']) await store.putMessage(id, Buffer.from(id), at);
      expect(mkdir).toHaveBeenCalledTimes(1);
      const body = randomBytes(10);
      await store.putPart(sha256(body), body, { digestFromData: true });
      expect(mkdir).toHaveBeenCalledTimes(2);
      for (const id of ['m1', 'm2', 'm3']) await age(store.pathFor(`messages/2024/06/01/${id}.eml`), 30 * DAY);
      expect(await pruneOlderThan(store, 7 * DAY)).toBe(3);
      await store.putMessage('m4', Buffer.from('m4'), at);
      expect(mkdir).toHaveBeenCalledTimes(3);
      expect((await store.get('messages/2024/06/01/m4.eml')).toString()).toBe('m4');
    } finally {
      mkdir.mockRestore();
    }
  });

  it('writes into a day folder that was removed behind its back (another process pruned it)', async () => {
    const at = new Date('2024-06-01T00:00:00Z');
    const key = await store.putMessage('first', Buffer.from('1'), at);
    await store.delete(key);
    await fs.rmdir(path.dirname(store.pathFor(key)));
    await store.putMessage('second', Buffer.from('2'), at);
    expect(await listFiles(dir)).toEqual([path.join('messages', '2024', '06', '01', 'second.eml')]);
  });

  it('prune on a store that was never written to removes nothing', async () => {
    expect(await pruneOlderThan(store, 0)).toBe(0);
  });

  it('reports a folder it cannot use as AVF_ERR_STORE_UNAVAILABLE, naming the folder', async () => {
    const file = path.join(await makeTmp(), 'a-file');
    await fs.writeFile(file, 'not a folder');
    const broken = new FolderObjectStore(path.join(file, 'store'));
    await expect(broken.ping()).rejects.toMatchObject({ code: 'AVF_ERR_STORE_UNAVAILABLE', message: expect.stringContaining(file) });
    await expect(broken.putMessage('m1', Buffer.from('x'))).rejects.toMatchObject({ code: 'AVF_ERR_STORE_UNAVAILABLE' });
    const body = Buffer.from('y');
    await expect(broken.putPart(sha256(body), body)).rejects.toMatchObject({ code: 'AVF_ERR_STORE_UNAVAILABLE' });
  });

  it('is what createObjectStore builds for kind folder', async () => {
    const s = createObjectStore({ kind: 'folder', dir });
    expect(s).toBeInstanceOf(FolderObjectStore);
    expect(s.kind).toBe('folder');
    await s.ping();
    expect((await fs.stat(dir)).isDirectory()).toBe(true);
  });
});
