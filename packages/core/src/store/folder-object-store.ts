import { randomBytes } from 'node:crypto';
import { constants as fsConstants, promises as fs, close, fchmod, fstat, fsync, lstat, open, read, readFile, rename, write } from 'node:fs';
import { promisify } from 'node:util';
import type { Stats } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ObjectStore, PruneOptions, PruneReport, PutPartOptions, PutPartResult, StoredObjectInfo } from './object-store';
import { assertPartDigest, assertRange, isMessageId, isSha256Hex, messageKey, parseObjectKey, partKey, quarantineKey } from './part-key';
import type { ParsedObjectKey } from './part-key';
import { StoreError } from './store-error';
import { heldBackBytes, messageOnlyStream, messageTrailer, splitStoredMessage } from './message-trailer';
import { DEFAULT_STORE_MODE, STORE_PERMISSIONS, type StoreMode, type StorePermissions } from './store-mode';

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
const fchmodCb = promisify(fchmod);
const readCb = promisify(read);
const fstatCb = promisify(fstat);

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
 * Privacy: every file (objects and temp files) is created with the mode's
 * file bits and every folder the store makes with its folder bits, set
 * exactly whatever the process umask (`private`: 0600/0700, `group`:
 * 0640/0750; store-mode.ts). Folders that already exist are never chmod'ed:
 * `auditModes` reports the ones more open than the mode, for a start-up warning.
 *
 * Retention is `prune({ cutoff })` (the fleet's pruner, prune-store.ts, and
 * `avfleet store prune`). A part's age counts from its last write or dedup
 * hit: a `putPart` that finds the part present sets its access time to now
 * (its mtime, the reported `lastModified`, stays), so a part a new scan
 * re-uses is not pruned; when that touch fails (the part vanished under a
 * concurrent prune, or is not ours) the part is written again. A prune moves
 * an expired part aside before removing it and reads its age again, so a
 * re-use racing the prune keeps the part either way.
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
  readonly mode: StoreMode;
  private readonly perms: StorePermissions;
  /** The part fan-out folder the next bounded prune starts at (a run cut short carries on there). */
  private partsCursor = 0;

  constructor(dir: string, options: { readonly mode?: StoreMode } = {}) {
    if (typeof dir !== 'string' || dir.trim() === '') {
      throw new StoreError('AVF_ERR_STORE_UNAVAILABLE', 'folder store needs a folder path: set AVFLEET_STORE or --store to a directory');
    }
    this.dir = path.resolve(dir);
    this.mode = options.mode ?? DEFAULT_STORE_MODE;
    this.perms = STORE_PERMISSIONS[this.mode];
  }

  /** Where the object for `key` lives on disk (validates the key). */
  pathFor(key: string): string {
    return this.pathOf(parseObjectKey(key));
  }

  async putMessage(id: string, data: Buffer, at: Date = new Date(), record?: Buffer): Promise<string> {
    const key = messageKey(id, at);
    // The record follows the message in the same write (one fsync, D69).
    const trailer = record ? messageTrailer(id, record) : null;
    await this.writeAtomic(this.pathFor(key), data, key, trailer);
    return key;
  }

  async getMessageRecord(key: string): Promise<Buffer | null> {
    const parsed = parseObjectKey(key);
    if (parsed.kind !== 'message') return null;
    return this.readOpen(this.pathOf(parsed), key, async (fd) => {
      const { size } = await fstatCb(fd);
      // The footer and the largest record fit in the last heldBackBytes: one pread of them.
      const length = Math.min(size, heldBackBytes(parsed.id));
      return splitStoredMessage(parsed.id, await preadAt(fd, length, size - length)).record;
    });
  }

  async putQuarantined(id: string, data: Buffer): Promise<string> {
    const key = quarantineKey(id);
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
      const touched = await fs.utimes(file, new Date(), existing.mtime).then(() => true, () => false);
      if (touched) return { key, created: false };
      // Gone under a concurrent prune, or not ours to touch: a fresh copy keeps it for this scan.
      await this.writeAtomic(file, data, key);
      return { key, created: false };
    }
    await this.writeAtomic(file, data, key);
    return { key, created: true };
  }

  async listMessageIds(day: Date, limit: number): Promise<string[]> {
    const folder = path.dirname(this.pathFor(messageKey('x', day)));
    const ids: string[] = [];
    try {
      const dir = await fs.opendir(folder, { bufferSize: 256 });
      for await (const entry of dir) {
        if (!entry.isFile() || !entry.name.endsWith('.eml')) continue;
        const id = entry.name.slice(0, -4);
        if (!isMessageId(id)) continue;
        ids.push(id);
        // A day folder can hold far more than asked: only the first `limit` so far are kept (bounded memory).
        if (ids.length >= 2 * limit + 1024) ids.sort().length = limit;
      }
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return [];
      throw this.toStoreError(err, 'list', null);
    }
    return ids.sort().slice(0, Math.max(0, limit));
  }

  async get(key: string): Promise<Buffer> {
    const parsed = parseObjectKey(key);
    let bytes: Buffer;
    try {
      bytes = await readFileCb(this.pathOf(parsed));
    } catch (err) {
      throw this.toStoreError(err, 'read', key);
    }
    return parsed.kind === 'message' ? splitStoredMessage(parsed.id, bytes).message : bytes;
  }

  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    assertRange(offset, length);
    return this.readOpen(this.pathFor(key), key, (fd) => preadAt(fd, length, offset));
  }

  /** Opens `file` for reading, runs `read` with its descriptor and closes it; failures become StoreErrors (`open`, `read`). */
  private async readOpen<T>(file: string, key: string, read: (fd: number) => Promise<T>): Promise<T> {
    let fd: number;
    try {
      fd = await openCb(file, 'r');
    } catch (err) {
      throw this.toStoreError(err, 'open', key);
    }
    try {
      return await read(fd);
    } catch (err) {
      throw this.toStoreError(err, 'read', key);
    } finally {
      await closeCb(fd).catch(() => undefined);
    }
  }

  async getStream(key: string): Promise<Readable> {
    const parsed = parseObjectKey(key);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.pathOf(parsed), 'r');
    } catch (err) {
      throw this.toStoreError(err, 'open', key);
    }
    const stream = handle.createReadStream({ autoClose: true, highWaterMark: READ_CHUNK_BYTES });
    return parsed.kind === 'message' ? messageOnlyStream(parsed.id, stream) : stream;
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
      await this.makeDirs(this.dir);
      await fs.access(this.dir, fsConstants.R_OK | fsConstants.W_OK | fsConstants.X_OK);
    } catch (err) {
      throw this.toStoreError(err, 'open', null);
    }
  }

  /**
   * Removes messages and parts last written (parts: or re-used) before
   * `cutoff`, and temp files left behind that long. Messages go oldest day
   * first; parts one fan-out folder at a time from where the last bounded run
   * stopped. Work is bounded by `maxEntries` (checked between folders, so a
   * run finishes the folder in hand); `complete` says whether the walk got
   * through everything.
   */
  async prune(options: PruneOptions): Promise<PruneReport> {
    const cutoff = options.cutoff.getTime();
    if (!Number.isFinite(cutoff)) throw new RangeError(`prune: cutoff must be a valid date, got ${String(options.cutoff)}`);
    const maxEntries = options.maxEntries ?? Number.POSITIVE_INFINITY;
    if (!(maxEntries > 0)) throw new RangeError(`prune: maxEntries must be positive, got ${maxEntries}`);
    const report = { messages: 0, parts: 0, bytes: 0, examined: 0, complete: false };
    this.knownDirs.clear(); // emptied folders go
    try {
      const messagesDone = await this.pruneMessages(cutoff, maxEntries, report);
      const partsDone = messagesDone && (await this.pruneParts(cutoff, maxEntries, report));
      report.complete = messagesDone && partsDone;
      return report;
    } catch (err) {
      throw this.toStoreError(err, 'prune', null);
    }
  }

  /**
   * Folders at or below the store's own folder that give more than the mode
   * allows (made by an older avfleet, or by hand): the store's folder and its
   * `messages/` and `parts/`. Nothing is changed; the caller warns.
   */
  async auditModes(): Promise<Array<{ readonly path: string; readonly mode: number }>> {
    const out: Array<{ path: string; mode: number }> = [];
    for (const p of [this.dir, path.join(this.dir, 'messages'), path.join(this.dir, 'parts')]) {
      const st = await fs.lstat(p).catch(() => null);
      if (st && (st.mode & 0o777 & ~this.perms.dir) !== 0) out.push({ path: p, mode: st.mode & 0o777 });
    }
    return out;
  }

  /** Day folders oldest first; stops at the first day that starts more than a day after the cutoff (all later ones are newer). */
  private async pruneMessages(cutoff: number, maxEntries: number, report: PruneReport): Promise<boolean> {
    const root = path.join(this.dir, 'messages');
    for (const year of await sortedDirs(root)) {
      for (const month of await sortedDirs(path.join(root, year))) {
        for (const day of await sortedDirs(path.join(root, year, month))) {
          const dayStart = Date.UTC(Number(year), Number(month) - 1, Number(day));
          if (dayStart - DAY_MS > cutoff) return true;
          if (report.examined >= maxEntries) return false;
          const folder = path.join(root, year, month, day);
          await this.pruneFolder(folder, cutoff, 'message', report);
          await fs.rmdir(folder).catch(() => undefined); // only succeeds when empty
        }
        await fs.rmdir(path.join(root, year, month)).catch(() => undefined);
      }
      await fs.rmdir(path.join(root, year)).catch(() => undefined);
    }
    return true;
  }

  /** The 256 fan-out folders, starting at the cursor; the cursor moves past each folder done. */
  private async pruneParts(cutoff: number, maxEntries: number, report: PruneReport): Promise<boolean> {
    const root = path.join(this.dir, 'parts');
    await this.pruneFolder(root, cutoff, 'part', report); // stale temp files of older layouts
    for (let n = 0; n < FANOUTS; n++) {
      if (report.examined >= maxEntries) return false;
      const name = this.partsCursor.toString(16).padStart(2, '0');
      await this.pruneFolder(path.join(root, name), cutoff, 'part', report);
      this.partsCursor = (this.partsCursor + 1) % FANOUTS;
    }
    return true;
  }

  /** Removes old objects of `kind` (and stale temp files) in one folder; foreign files stay. */
  private async pruneFolder(folder: string, cutoff: number, kind: 'message' | 'part', report: PruneReport): Promise<void> {
    let dir;
    try {
      dir = await fs.opendir(folder, { bufferSize: 256 });
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return;
      throw err;
    }
    for await (const entry of dir) {
      if (!entry.isFile()) continue;
      const isTemp = entry.name.startsWith('.') && entry.name.endsWith('.tmp');
      const isObject = kind === 'part' ? isSha256Hex(entry.name) : entry.name.endsWith('.eml') && isMessageId(entry.name.slice(0, -4));
      if (!isTemp && !isObject) continue; // not ours: leave it
      report.examined += 1;
      const full = path.join(folder, entry.name);
      const st = await fs.lstat(full).catch(() => null);
      if (!st) continue;
      const age = kind === 'part' && !isTemp ? Math.max(st.mtimeMs, st.atimeMs) : st.mtimeMs;
      if (age >= cutoff) continue;
      if (kind === 'part' && !isTemp) {
        if (!(await this.removePartUnlessReused(folder, entry.name, cutoff))) continue;
      } else {
        try {
          await fs.unlink(full);
        } catch (err) {
          if (errnoCode(err) === 'ENOENT') continue;
          throw err;
        }
      }
      if (isTemp) continue;
      report.bytes += st.size;
      if (kind === 'part') report.parts += 1;
      else report.messages += 1;
    }
  }

  /**
   * Removes an expired part unless a scan re-used it meanwhile: the part is
   * first moved aside (atomically), then its age is read again; a `putPart`
   * that refreshed it in between is seen and the part goes back (the same
   * bytes as any copy written meanwhile), and one that comes after the move
   * finds no part and writes it anew. True when it was removed.
   */
  private async removePartUnlessReused(folder: string, name: string, cutoff: number): Promise<boolean> {
    const full = path.join(folder, name);
    const aside = path.join(folder, `.${name}.prune.${this.tmpTag}.${(this.tmpCount++).toString(36)}.tmp`);
    try {
      await fs.rename(full, aside);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return false;
      throw err;
    }
    const st = await fs.lstat(aside);
    if (Math.max(st.mtimeMs, st.atimeMs) >= cutoff) {
      await fs.rename(aside, full);
      return false;
    }
    await fs.unlink(aside);
    return true;
  }

  /**
   * mkdir -p with the mode's folder bits set exactly on every folder made
   * (existing ones are left as they are). A set-group-ID bit a new folder
   * inherited from its parent stays, so objects keep the store's group.
   */
  private async makeDirs(dir: string): Promise<void> {
    const first = await fs.mkdir(dir, { recursive: true, mode: this.perms.dir });
    if (first === undefined) return;
    // Created: `first` and every folder below it on the way to `dir`.
    const made: string[] = [];
    for (let d = dir; ; d = path.dirname(d)) {
      made.push(d);
      if (d === first || path.dirname(d) === d) break;
    }
    for (const d of made) {
      const inherited = (await fs.lstat(d)).mode & SETGID;
      await fs.chmod(d, this.perms.dir | inherited);
    }
  }

  private pathOf(parsed: ParsedObjectKey): string {
    if (parsed.kind === 'part') return path.join(this.dir, 'parts', parsed.sha256.slice(0, 2), parsed.sha256);
    // Outside messages/ and parts/, the only folders prune() walks.
    if (parsed.kind === 'quarantine') return path.join(this.dir, 'quarantine', `${parsed.id}.eml`);
    return path.join(this.dir, 'messages', parsed.year, parsed.month, parsed.day, `${parsed.id}.eml`);
  }

  private async writeAtomic(file: string, data: Buffer, key: string, trailer: Buffer | null = null): Promise<void> {
    const dir = path.dirname(file);
    const tmp = path.join(dir, `.${path.basename(file)}.${this.tmpTag}.${(this.tmpCount++).toString(36)}.tmp`);
    try {
      // A prune may have removed an empty day folder (since this store made it, or between mkdir and open): make it again and retry.
      for (let attempt = 0; ; attempt++) {
        if (!this.knownDirs.has(dir)) {
          await this.makeDirs(dir);
          if (this.knownDirs.size >= MAX_KNOWN_DIRS) this.knownDirs.clear();
          this.knownDirs.add(dir);
        }
        let fd: number;
        try {
          fd = await openCb(tmp, 'wx', this.perms.file);
        } catch (err) {
          this.knownDirs.delete(dir);
          if (errnoCode(err) === 'ENOENT' && attempt < 3) continue;
          throw err;
        }
        try {
          await fchmodCb(fd, this.perms.file); // exact, whatever the umask
          await writeAll(fd, data);
          if (trailer) await writeAll(fd, trailer);
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

const DAY_MS = 24 * 3600_000;

/** S_ISGID on a folder: new entries take the folder's group. */
const SETGID = 0o2000;

/** Part fan-out folders: `parts/00` … `parts/ff`. */
const FANOUTS = 256;

/** Names of the sub-folders of `dir`, sorted; none when `dir` is missing. */
async function sortedDirs(dir: string): Promise<string[]> {
  try {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return [];
    throw err;
  }
}

/** Bound on the remembered folders (a long-running store sees one new day folder a day). */
const MAX_KNOWN_DIRS = 1024;

function errnoCode(err: unknown): string | undefined {
  const c = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof c === 'string' ? c : undefined;
}

/**
 * `length` bytes of `fd` from `position` in a new buffer (the caller's alone): pread until it is
 * full or the file ends (a read may return fewer bytes than asked); shorter when the file ends first.
 */
async function preadAt(fd: number, length: number, position: number): Promise<Buffer> {
  const out = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await readCb(fd, out, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === length ? out : out.subarray(0, got);
}
