import { randomBytes } from 'node:crypto';
import { constants as fsConstants, promises as fs, close, fsync, lstat, open, readFile, rename, write } from 'node:fs';
import { promisify } from 'node:util';
import type { Stats } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ObjectStore, PutPartOptions, PutPartResult, StoredObjectInfo } from './object-store';
import { assertPartDigest, isMessageId, isSha256Hex, messageKey, parseObjectKey, partKey } from './part-key';
import type { ParsedObjectKey } from './part-key';
import { StoreError } from './store-error';

/*
 * The hot path (read, write, stat) uses the callback API, promisified: for a page-cached
 * file of a few hundred KB, `fs.promises.readFile` took about twice the CPU of the callback
 * `readFile` in a micro-benchmark here (more thread-pool round trips, chunked reads), and
 * FileHandle writes likewise.
 */
const readFileCb = promisify(readFile);
const openCb = promisify(open);
const writeCb = promisify(write);
const fsyncCb = promisify(fsync);
const closeCb = promisify(close);
const renameCb = promisify(rename);
const lstatCb = promisify(lstat);

/** Writes all of `data` at the current position of `fd` (a write may take fewer bytes than asked). */
async function writeAll(fd: number, data: Buffer): Promise<void> {
  for (let off = 0; off < data.length; ) {
    const { bytesWritten } = await writeCb(fd, data, off, data.length - off);
    off += bytesWritten;
  }
}

/**
 * The single-machine store: one folder on local disk.
 *
 * On-disk layout under `dir` (the logical keys stay `messages/…` and `parts/<sha256>`):
 *
 *   messages/YYYY/MM/DD/<id>.eml     as the key
 *   parts/<first 2 hex>/<sha256>     fanned out by the digest's first two hex characters
 *
 * Writes are atomic: the bytes go to `.<name>.<pid>.<random>.<n>.tmp` in the
 * target folder, are fsync'ed, then renamed over the final name, so a reader
 * never sees half an object. Folders are created on demand and remembered, so
 * a write does not `mkdir` a folder this store already made; when a prune (here
 * or in another process) has removed it meanwhile, the write makes it again.
 *
 * Retention is `prune(olderThanMs)` (`avfleet store prune --older-than 7d`).
 * A part's age counts from its last write or dedup hit: a `putPart` that finds
 * the part present sets its access time to now (its mtime, the reported
 * `lastModified`, stays), so a part still being referenced is not pruned.
 */
export class FolderObjectStore implements ObjectStore {
  readonly kind = 'folder' as const;
  /** Absolute path of the store's folder. */
  readonly dir: string;
  /** Folders this store made or found (at most MAX_KNOWN_DIRS: the day folders and the 256 part fan-outs). */
  private readonly knownDirs = new Set<string>();
  /** `<pid>.<random>` of this store's temp names; a counter tells its writes apart. */
  private readonly tmpTag = `${process.pid}.${randomBytes(6).toString('hex')}`;
  private tmpCount = 0;

  constructor(dir: string) {
    if (typeof dir !== 'string' || dir.trim() === '') {
      throw new StoreError('AVF_ERR_STORE_UNAVAILABLE', 'folder store needs a folder path: set AVFLEET_STORE or --store to a directory');
    }
    this.dir = path.resolve(dir);
  }

  /** Where the object for `key` lives on disk (validates the key). */
  pathFor(key: string): string {
    return this.pathOf(parseObjectKey(key));
  }

  async putMessage(id: string, data: Buffer, at: Date = new Date()): Promise<string> {
    const key = messageKey(id, at);
    await this.writeAtomic(this.pathFor(key), data, key);
    return key;
  }

  async putPart(sha256: string, data: Buffer, options?: PutPartOptions): Promise<PutPartResult> {
    const key = partKey(sha256);
    assertPartDigest(sha256, data, options);
    const file = this.pathFor(key);
    const existing = await this.lstatOrNull(file, key);
    if (existing) {
      // Refresh the access time only: prune keeps parts in use; lastModified (mtime) stays.
      await fs.utimes(file, new Date(), existing.mtime).catch(() => undefined);
      return { key, created: false };
    }
    await this.writeAtomic(file, data, key);
    return { key, created: true };
  }

  async get(key: string): Promise<Buffer> {
    const file = this.pathFor(key);
    try {
      return await readFileCb(file);
    } catch (err) {
      throw this.toStoreError(err, 'read', key);
    }
  }

  async getStream(key: string): Promise<Readable> {
    const file = this.pathFor(key);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'r');
    } catch (err) {
      throw this.toStoreError(err, 'open', key);
    }
    return handle.createReadStream({ autoClose: true, highWaterMark: READ_CHUNK_BYTES });
  }

  async stat(key: string): Promise<StoredObjectInfo | null> {
    const st = await this.lstatOrNull(this.pathFor(key), key);
    return st ? { key, size: st.size, lastModified: st.mtime } : null;
  }

  async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== null;
  }

  async delete(key: string): Promise<void> {
    const file = this.pathFor(key);
    try {
      await fs.unlink(file);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw this.toStoreError(err, 'delete', key);
    }
  }

  async ping(): Promise<void> {
    try {
      await fs.mkdir(this.dir, { recursive: true });
      await fs.access(this.dir, fsConstants.R_OK | fsConstants.W_OK | fsConstants.X_OK);
    } catch (err) {
      throw this.toStoreError(err, 'open', null);
    }
  }

  async prune(olderThanMs: number, now: Date = new Date()): Promise<number> {
    if (!Number.isFinite(olderThanMs) || olderThanMs < 0) {
      throw new RangeError(`prune: olderThanMs must be a non-negative number of milliseconds, got ${olderThanMs}`);
    }
    const cutoff = now.getTime() - olderThanMs;
    this.knownDirs.clear(); // emptied folders go
    try {
      const messages = await this.pruneTree(path.join(this.dir, 'messages'), cutoff, 'message', true);
      const parts = await this.pruneTree(path.join(this.dir, 'parts'), cutoff, 'part', false);
      return messages + parts;
    } catch (err) {
      throw this.toStoreError(err, 'prune', null);
    }
  }

  private pathOf(parsed: ParsedObjectKey): string {
    if (parsed.kind === 'part') return path.join(this.dir, 'parts', parsed.sha256.slice(0, 2), parsed.sha256);
    return path.join(this.dir, 'messages', parsed.year, parsed.month, parsed.day, `${parsed.id}.eml`);
  }

  /** Removes old objects (and stale temp files) below `root`; returns the objects removed. */
  private async pruneTree(root: string, cutoff: number, kind: 'message' | 'part', removeEmptyDirs: boolean): Promise<number> {
    let entries;
    try {
      entries = await fs.readdir(root, { withFileTypes: true });
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return 0;
      throw err;
    }
    let removed = 0;
    for (const entry of entries) {
      const full = path.join(root, entry.name);
      if (entry.isDirectory()) {
        removed += await this.pruneTree(full, cutoff, kind, removeEmptyDirs);
        if (removeEmptyDirs) await fs.rmdir(full).catch(() => undefined); // only succeeds when empty
        continue;
      }
      if (!entry.isFile()) continue;
      const isTemp = entry.name.startsWith('.') && entry.name.endsWith('.tmp');
      const isObject = kind === 'part' ? isSha256Hex(entry.name) : entry.name.endsWith('.eml') && isMessageId(entry.name.slice(0, -4));
      if (!isTemp && !isObject) continue; // not ours: leave it
      const st = await fs.lstat(full).catch(() => null);
      if (!st) continue;
      const age = kind === 'part' && !isTemp ? Math.max(st.mtimeMs, st.atimeMs) : st.mtimeMs;
      if (age >= cutoff) continue;
      try {
        await fs.unlink(full);
        if (!isTemp) removed += 1;
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err;
      }
    }
    return removed;
  }

  private async writeAtomic(file: string, data: Buffer, key: string): Promise<void> {
    const dir = path.dirname(file);
    const tmp = path.join(dir, `.${path.basename(file)}.${this.tmpTag}.${(this.tmpCount++).toString(36)}.tmp`);
    try {
      // A prune may have removed an empty day folder (since this store made it, or between mkdir and open): make it again and retry.
      for (let attempt = 0; ; attempt++) {
        if (!this.knownDirs.has(dir)) {
          await fs.mkdir(dir, { recursive: true });
          if (this.knownDirs.size >= MAX_KNOWN_DIRS) this.knownDirs.clear();
          this.knownDirs.add(dir);
        }
        let fd: number;
        try {
          fd = await openCb(tmp, 'wx', 0o644);
        } catch (err) {
          this.knownDirs.delete(dir);
          if (errnoCode(err) === 'ENOENT' && attempt < 3) continue;
          throw err;
        }
        try {
          await writeAll(fd, data);
          await fsyncCb(fd);
        } finally {
          await closeCb(fd);
        }
        await renameCb(tmp, file);
        return;
      }
    } catch (err) {
      await fs.unlink(tmp).catch(() => undefined);
      throw this.toStoreError(err, 'write', key);
    }
  }

  private async lstatOrNull(file: string, key: string): Promise<Stats | null> {
    try {
      const st = await lstatCb(file);
      return st.isFile() ? st : null;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return null;
      throw this.toStoreError(err, 'stat', key);
    }
  }

  private toStoreError(err: unknown, op: string, key: string | null): StoreError {
    if (err instanceof StoreError) return err;
    const code = errnoCode(err);
    if (code === 'ENOENT' && key !== null && op !== 'write') {
      return new StoreError('AVF_ERR_STORE_NOT_FOUND', `no object ${key} in the folder store at ${this.dir}`, { cause: err, key });
    }
    const what = key === null ? `the folder store at ${this.dir}` : `${key} in the folder store at ${this.dir}`;
    const detail = err instanceof Error ? err.message : String(err);
    return new StoreError(
      'AVF_ERR_STORE_UNAVAILABLE',
      `cannot ${op} ${what} (${code ?? 'error'}: ${detail}); check that the folder exists, is a directory ` +
        'writable by this user and that the disk has space, or point AVFLEET_STORE / --store elsewhere',
      { cause: err, key: key ?? undefined },
    );
  }
}

/** Read size of getStream: a quarter of the reads (and their CPU) of the 64 KiB default, a bounded buffer per open stream. */
const READ_CHUNK_BYTES = 256 * 1024;

/** Bound on the remembered folders (a long-running store sees one new day folder a day). */
const MAX_KNOWN_DIRS = 1024;

function errnoCode(err: unknown): string | undefined {
  const c = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof c === 'string' ? c : undefined;
}
