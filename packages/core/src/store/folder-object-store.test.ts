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

  it('never prunes a quarantined message, however old (the quarantine has its own retention)', async () => {
    const held = await store.putQuarantined('held', Buffer.from('h'));
    const old = await store.putMessage('old', Buffer.from('o'), new Date('2025-01-01T00:00:00Z'));
    await age(store.pathFor(held), 400 * DAY);
    await age(store.pathFor(old), 400 * DAY);
    expect(await pruneOlderThan(store, 0)).toBe(1);
    expect(store.pathFor(held)).toBe(path.join(dir, 'quarantine', 'held.eml'));
    await expect(store.get(held)).resolves.toEqual(Buffer.from('h'));
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

/** Every file and folder below `root` (and `root` itself) with its permission bits. */
async function modesBelow(root: string): Promise<Array<{ path: string; dir: boolean; mode: string }>> {
  const out: Array<{ path: string; dir: boolean; mode: string }> = [];
  async function walk(p: string): Promise<void> {
    const st = await fs.lstat(p);
    out.push({ path: path.relative(root, p) || '.', dir: st.isDirectory(), mode: (st.mode & 0o777).toString(8) });
    if (st.isDirectory()) for (const name of await fs.readdir(p)) await walk(path.join(p, name));
  }
  await walk(root);
  return out;
}

describe('FolderObjectStore permissions', () => {
  let umask: number;
  beforeEach(() => {
    umask = process.umask(0o000); // the most permissive umask: nothing may rely on it
  });
  afterEach(() => {
    process.umask(umask);
  });

  for (const [mode, file, dir] of [['private', '600', '700'], ['group', '640', '750']] as const) {
    it(`${mode}: every file ${file} and every folder ${dir} it creates, the store's own folder included, under umask 000`, async () => {
      const parent = await makeTmp();
      const root = path.join(parent, 'made', 'store');
      const store = new FolderObjectStore(root, { mode });
      await store.ping();
      await store.putMessage('m1', Buffer.from('one'), new Date('2024-06-01T00:00:00Z'));
      await store.putMessage('m2', Buffer.from('two'));
      const body = randomBytes(32);
      await store.putPart(sha256(body), body);
      await store.putPart(sha256(body), body); // a dedup hit changes nothing
      const all = await modesBelow(path.join(parent, 'made'));
      expect(all.filter((e) => !e.dir).length).toBe(3);
      // A temp file is the object before its rename (same inode, same bits): these are its bits too.
      expect(all.filter((e) => !e.dir && e.mode !== file)).toEqual([]);
      expect(all.filter((e) => e.dir && e.mode !== dir)).toEqual([]);
    });
  }

  it('writes every temp file with the mode\'s bits (seen at the rename that publishes it)', async () => {
    const seen: Array<{ name: string; mode: string }> = [];
    let Fresh: typeof FolderObjectStore | undefined;
    jest.isolateModules(() => {
      jest.doMock('node:fs', () => {
        const real = jest.requireActual<typeof import('node:fs')>('node:fs');
        const rename = (from: string, to: string, cb: (err: NodeJS.ErrnoException | null) => void): void => {
          seen.push({ name: path.basename(from), mode: (real.lstatSync(from).mode & 0o777).toString(8) });
          real.rename(from, to, cb);
        };
        return { ...real, rename };
      });
      Fresh = (jest.requireActual('./folder-object-store') as { FolderObjectStore: typeof FolderObjectStore }).FolderObjectStore;
    });
    jest.dontMock('node:fs');
    if (!Fresh) throw new Error('module not loaded');
    for (const mode of ['private', 'group'] as const) {
      const store = new Fresh(path.join(await makeTmp(), 'store'), { mode });
      await store.putMessage('m1', Buffer.from('one'), new Date('2024-06-01T00:00:00Z'));
      const body = randomBytes(32);
      await store.putPart(sha256(body), body);
    }
    expect(seen.map((s) => s.mode)).toEqual(['600', '600', '640', '640']);
    expect(seen.every((s) => s.name.startsWith('.') && s.name.endsWith('.tmp'))).toBe(true);
  });

  it('group: keeps the set-group-ID bit new folders inherit, so objects keep the store folder\'s group', async () => {
    const root = path.join(await makeTmp(), 'shared-store');
    await fs.mkdir(root);
    await fs.chmod(root, 0o2750);
    const store = new FolderObjectStore(root, { mode: 'group' });
    const key = await store.putMessage('g1', Buffer.from('g'), new Date('2024-06-01T00:00:00Z'));
    for (const d of ['messages', 'messages/2024', 'messages/2024/06', 'messages/2024/06/01']) {
      expect({ d, mode: ((await fs.stat(path.join(root, d))).mode & 0o7777).toString(8) }).toEqual({ d, mode: '2750' });
    }
    const st = await fs.stat(store.pathFor(key));
    expect((st.mode & 0o7777).toString(8)).toBe('640');
    expect(st.gid).toBe((await fs.stat(root)).gid);
  });

  it('leaves an existing folder as it is and reports it when more open than the mode', async () => {
    const root = path.join(await makeTmp(), 'old-store');
    await fs.mkdir(path.join(root, 'parts'), { recursive: true, mode: 0o755 });
    await fs.chmod(root, 0o755);
    await fs.chmod(path.join(root, 'parts'), 0o755);
    const store = new FolderObjectStore(root);
    await store.ping();
    const body = randomBytes(16);
    await store.putPart(sha256(body), body);
    expect(((await fs.stat(root)).mode & 0o777).toString(8)).toBe('755');
    expect(await store.auditModes()).toEqual([
      { path: root, mode: 0o755 },
      { path: path.join(root, 'parts'), mode: 0o755 },
    ]);
    // What it made itself is private.
    expect(((await fs.stat(path.dirname(store.pathFor(`parts/${sha256(body)}`)))).mode & 0o777).toString(8)).toBe('700');
    expect(((await fs.stat(store.pathFor(`parts/${sha256(body)}`))).mode & 0o777).toString(8)).toBe('600');
    expect(await new FolderObjectStore(root, { mode: 'group' }).auditModes()).toEqual([
      { path: root, mode: 0o755 },
      { path: path.join(root, 'parts'), mode: 0o755 },
    ]);
    await fs.chmod(root, 0o750);
    await fs.chmod(path.join(root, 'parts'), 0o700);
    expect(await new FolderObjectStore(root, { mode: 'group' }).auditModes()).toEqual([]);
    expect(await store.auditModes()).toEqual([{ path: root, mode: 0o750 }]);
  });
});

describe('FolderObjectStore prune runs', () => {
  let dir: string;
  let store: FolderObjectStore;
  beforeEach(async () => {
    dir = path.join(await makeTmp(), 'store');
    store = new FolderObjectStore(dir);
  });

  it('reports what it removed: messages, parts and their bytes', async () => {
    const m = await store.putMessage('gone', Buffer.from('12345'), new Date('2024-01-01T00:00:00Z'));
    const body = randomBytes(100);
    const { key: p } = await store.putPart(sha256(body), body);
    await age(store.pathFor(m), 10 * DAY);
    await age(store.pathFor(p), 10 * DAY);
    const r = await store.prune({ cutoff: new Date(Date.now() - 7 * DAY) });
    expect(r).toEqual({ messages: 1, parts: 1, bytes: 105, examined: 2, complete: true });
  });

  it('a part re-used by a new scan just before the prune survives it; an unused one of the same age does not', async () => {
    const reused = randomBytes(20);
    const unused = randomBytes(20);
    const { key: rk } = await store.putPart(sha256(reused), reused);
    const { key: uk } = await store.putPart(sha256(unused), unused);
    await age(store.pathFor(rk), 10 * DAY);
    await age(store.pathFor(uk), 10 * DAY);
    expect(await store.putPart(sha256(reused), reused, { digestFromData: true })).toEqual({ key: rk, created: false });
    const r = await store.prune({ cutoff: new Date(Date.now() - 7 * DAY) });
    expect(r.parts).toBe(1);
    expect(await store.exists(rk)).toBe(true);
    expect(await store.exists(uk)).toBe(false);
  });

  it('writes a re-used part again when its age cannot be refreshed (removed under it by a concurrent prune)', async () => {
    const body = randomBytes(20);
    const { key } = await store.putPart(sha256(body), body);
    const utimes = jest.spyOn(fs, 'utimes').mockImplementationOnce(async (file) => {
      await fs.unlink(file); // the prune wins the race
      throw Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
    });
    try {
      expect(await store.putPart(sha256(body), body)).toEqual({ key, created: false });
    } finally {
      utimes.mockRestore();
    }
    expect((await store.get(key)).equals(body)).toBe(true);
  });

  it('is bounded: a run stops after about maxEntries (finishing its folder), and the next one carries on', async () => {
    const keys: string[] = [];
    const fanouts = new Set<string>();
    while (fanouts.size < 40) {
      const body = randomBytes(12);
      const d = sha256(body);
      if (fanouts.has(d.slice(0, 2))) continue;
      fanouts.add(d.slice(0, 2));
      keys.push((await store.putPart(d, body)).key);
    }
    for (const k of keys) await age(store.pathFor(k), 10 * DAY);
    const cutoff = new Date(Date.now() - 7 * DAY);
    const first = await store.prune({ cutoff, maxEntries: 10 });
    expect(first.complete).toBe(false);
    expect(first.examined).toBeGreaterThanOrEqual(10);
    expect(first.examined).toBeLessThan(40);
    expect(first.parts).toBe(first.examined);
    let removed = first.parts;
    for (let run = 0; run < 10 && removed < 40; run++) removed += (await store.prune({ cutoff, maxEntries: 10 })).parts;
    expect(removed).toBe(40);
    for (const k of keys) expect(await store.exists(k)).toBe(false);
    expect((await store.prune({ cutoff, maxEntries: 10 })).complete).toBe(true);
  });

  it('walks message day folders oldest first and does not look into days that start after the cutoff', async () => {
    const old = await store.putMessage('old', Buffer.from('o'), new Date('2024-01-01T12:00:00Z'));
    await age(store.pathFor(old), 400 * DAY);
    const today = await store.putMessage('today', Buffer.from('t'));
    await age(store.pathFor(today), 30 * DAY); // aged, but in a day folder that starts long after the cutoff
    const r = await store.prune({ cutoff: new Date(Date.now() - 60 * DAY) });
    expect(r).toMatchObject({ messages: 1, examined: 1, complete: true });
    expect(await store.exists(today)).toBe(true);
  });

  it('refuses an invalid cutoff or bound', async () => {
    await expect(store.prune({ cutoff: new Date('nope') })).rejects.toBeInstanceOf(RangeError);
    await expect(store.prune({ cutoff: new Date(), maxEntries: 0 })).rejects.toBeInstanceOf(RangeError);
  });
});

describe('FolderObjectStore prune racing a re-use', () => {
  it('a part a scan re-uses while the prune is removing it survives (the prune re-reads its age after moving it aside)', async () => {
    const dir = path.join(await makeTmp(), 'store');
    const store = new FolderObjectStore(dir);
    const body = randomBytes(30);
    const { key } = await store.putPart(sha256(body), body);
    await age(store.pathFor(key), 10 * DAY);
    const realRename = fs.rename.bind(fs);
    let raced = false;
    // The re-use lands after the prune read the old age, just before it moves the part aside.
    const rename = jest.spyOn(fs, 'rename').mockImplementation(async (from, to) => {
      if (!raced && String(from) === store.pathFor(key)) {
        raced = true;
        expect(await store.putPart(sha256(body), body)).toEqual({ key, created: false });
      }
      return realRename(from, to);
    });
    try {
      const r = await store.prune({ cutoff: new Date(Date.now() - 7 * DAY) });
      expect(raced).toBe(true);
      expect(r.parts).toBe(0);
    } finally {
      rename.mockRestore();
    }
    expect((await store.get(key)).equals(body)).toBe(true);
    expect(await listFiles(dir)).toEqual([path.join('parts', key.slice(6, 8), key.slice(6))]); // nothing left aside
  });
});

describe('FolderObjectStore listMessageIds', () => {
  it('gives the first ids of a day folder holding far more than asked, skipping what is not a message', async () => {
    const store = new FolderObjectStore(path.join(await makeTmp(), 'store'));
    const day = new Date('2024-02-03T10:00:00Z');
    const first = await store.putMessage('m0000', Buffer.from('x'), day);
    const folder = path.dirname(store.pathFor(first));
    // Written directly: 3000 more messages (in shuffled order) and foreign files.
    const ids = Array.from({ length: 3000 }, (_v, i) => `m${String(i + 1).padStart(4, '0')}`);
    for (const id of [...ids].sort(() => Math.random() - 0.5)) await fs.writeFile(path.join(folder, `${id}.eml`), 'x');
    await fs.writeFile(path.join(folder, 'a.b.eml'), 'x');
    await fs.writeFile(path.join(folder, 'aaa.txt'), 'x');
    await fs.writeFile(path.join(folder, '.m0000.1.tmp'), 'x');
    expect(await store.listMessageIds(day, 5)).toEqual(['m0000', 'm0001', 'm0002', 'm0003', 'm0004']);
    expect(await store.listMessageIds(day, 5000)).toEqual(['m0000', ...ids]);
  });
});
