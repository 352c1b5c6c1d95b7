import { LuaScript, type ScriptRedis } from '../queue/lua-script';
import type { QuarantineEntry } from './quarantine-entry';

/** The Redis commands the index uses (ioredis' Redis and Cluster satisfy it). */
export interface IndexRedis extends ScriptRedis {
  zrevrangebylex(key: string, max: string, min: string, limit: 'LIMIT', offset: number, count: number): Promise<string[]>;
  zrangebylex(key: string, min: string, max: string, limit: 'LIMIT', offset: number, count: number): Promise<string[]>;
  hget(key: string, field: string): Promise<string | null>;
  hmget(key: string, ...fields: string[]): Promise<(string | null)[]>;
  hlen(key: string): Promise<number>;
  get(key: string): Promise<string | null>;
}

/** Digits of the time in a member: ms since the epoch, zero-padded so members sort by time. */
const TIME_DIGITS = 15;
const MEMBER_RE = /^(\d{15}):([A-Za-z0-9_-]{1,64})$/;

/** The most entries one page shows, and the default. */
export const MAX_PAGE = 500;
export const DEFAULT_PAGE = 50;

/** Entries one list call looks at, at most, when filters skip most of them (the page ends there with a cursor). */
export const MAX_EXAMINED = 5000;

/** Entries one expiry call removes at most (the next run carries on). */
export const EXPIRY_BATCH = 500;

/** The index's keys, in one Redis Cluster hash slot (`{quarantine}`), so each script touches one slot. */
export function quarantineKeys(queuePrefix: string): { readonly order: string; readonly entries: string; readonly bytes: string } {
  return { order: `${queuePrefix}:{quarantine}:order`, entries: `${queuePrefix}:{quarantine}:entries`, bytes: `${queuePrefix}:{quarantine}:bytes` };
}

/** The sort member of an entry: its time, then its id (newest first = reverse lexicographic order). */
export function memberOf(timeMs: number, id: string): string {
  return `${String(Math.max(0, Math.floor(timeMs))).padStart(TIME_DIGITS, '0')}:${id}`;
}

/** A cursor as given back by `list` (a member); null when it is not one. */
export function parseCursor(cursor: string): string | null {
  return MEMBER_RE.test(cursor) ? cursor : null;
}

/** Entries and raw bytes in the index. */
export interface QuarantineStats {
  readonly entries: number;
  readonly bytes: number;
}

export type AddOutcome = { readonly outcome: 'kept' | 'full'; readonly stats: QuarantineStats } | { readonly outcome: 'already' };

/** What `list` filters on; every filter is optional. */
export interface ListQuery {
  /** ms since the epoch: entries quarantined at or after. */
  readonly since?: number;
  /** ms since the epoch: entries quarantined at or before. */
  readonly until?: number;
  /** An envelope recipient (case-insensitive, exact). */
  readonly rcpt?: string;
  /** A symbol name (exact). */
  readonly symbol?: string;
  /** Entries per page (1 … MAX_PAGE). @defaultValue DEFAULT_PAGE */
  readonly limit?: number;
  /** The `next_cursor` of the previous page. */
  readonly cursor?: string;
}

export interface ListPage {
  readonly entries: readonly QuarantineEntry[];
  /** Where the next page starts; null when this page reached the end. */
  readonly next_cursor: string | null;
}

/** A stored entry: the entry and where it sorts. */
interface Stored {
  readonly member: string;
  readonly entry: QuarantineEntry;
}

// KEYS: order, entries, bytes. ARGV: member, id, json, size, maxEntries, maxBytes.
const ADD = new LuaScript(`
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return {0, 0, 0} end
local n = redis.call('HLEN', KEYS[2])
local b = tonumber(redis.call('GET', KEYS[3]) or '0')
if n >= tonumber(ARGV[5]) or b + tonumber(ARGV[4]) > tonumber(ARGV[6]) then return {2, n, b} end
redis.call('ZADD', KEYS[1], 0, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
b = redis.call('INCRBY', KEYS[3], ARGV[4])
return {1, n + 1, b}
`, 3);

// KEYS: order, entries, bytes. ARGV: id. Returns {removed (0/1), entries, bytes}.
const REMOVE = new LuaScript(`
local json = redis.call('HGET', KEYS[2], ARGV[1])
local b = tonumber(redis.call('GET', KEYS[3]) or '0')
if not json then return {0, redis.call('HLEN', KEYS[2]), b} end
local stored = cjson.decode(json)
redis.call('ZREM', KEYS[1], stored.member)
redis.call('HDEL', KEYS[2], ARGV[1])
b = redis.call('DECRBY', KEYS[3], stored.entry.size)
if b < 0 then redis.call('SET', KEYS[3], 0); b = 0 end
return {1, redis.call('HLEN', KEYS[2]), b}
`, 3);

// KEYS: entries. ARGV: id, json. Replaces an entry that is still there.
const UPDATE = new LuaScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`, 1);

/**
 * The quarantine's index in Redis: a sorted set of members `<time>:<id>` (all score 0, so
 * lexicographic ranges page by time), a hash id → entry, and the raw bytes counted. Bounded:
 * `add` refuses past maxEntries or maxBytes, `list` looks at MAX_EXAMINED entries at most.
 */
export class QuarantineIndex {
  private readonly keys: ReturnType<typeof quarantineKeys>;

  constructor(
    private readonly redis: IndexRedis,
    queuePrefix: string,
    private readonly bounds: { readonly maxEntries: number; readonly maxBytes: number },
  ) {
    this.keys = quarantineKeys(queuePrefix);
  }

  async add(entry: QuarantineEntry, timeMs: number): Promise<AddOutcome> {
    const member = memberOf(timeMs, entry.id);
    const json = JSON.stringify({ member, entry } satisfies Stored);
    const [status, entries, bytes] = (await ADD.run(
      this.redis, this.keys.order, this.keys.entries, this.keys.bytes,
      member, entry.id, json, String(entry.size), String(this.bounds.maxEntries), String(this.bounds.maxBytes),
    )) as [number, number, number];
    if (status === 0) return { outcome: 'already' };
    return { outcome: status === 1 ? 'kept' : 'full', stats: { entries, bytes } };
  }

  async get(id: string): Promise<QuarantineEntry | null> {
    const json = await this.redis.hget(this.keys.entries, id);
    return json === null ? null : (JSON.parse(json) as Stored).entry;
  }

  /** Replaces a stored entry (its release); false when it is gone. */
  async update(entry: QuarantineEntry): Promise<boolean> {
    const json = await this.redis.hget(this.keys.entries, entry.id);
    if (json === null) return false;
    const { member } = JSON.parse(json) as Stored;
    return (await UPDATE.run(this.redis, this.keys.entries, entry.id, JSON.stringify({ member, entry } satisfies Stored))) === 1;
  }

  /** Removes an entry; null when there was none. */
  async remove(id: string): Promise<QuarantineStats | null> {
    const [removed, entries, bytes] = (await REMOVE.run(this.redis, this.keys.order, this.keys.entries, this.keys.bytes, id)) as [number, number, number];
    return removed === 1 ? { entries, bytes } : null;
  }

  async stats(): Promise<QuarantineStats> {
    const [entries, bytes] = await Promise.all([this.redis.hlen(this.keys.entries), this.redis.get(this.keys.bytes)]);
    return { entries, bytes: Number(bytes ?? 0) };
  }

  /** Newest first, filtered; a page ends at `limit` entries or after MAX_EXAMINED looked at (then with a cursor). */
  async list(query: ListQuery): Promise<ListPage> {
    const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(query.limit ?? DEFAULT_PAGE)));
    const min = query.since === undefined ? '-' : `[${memberOf(query.since, '').slice(0, -1)}`;
    let max = query.cursor !== undefined ? `(${query.cursor}` : query.until === undefined ? '+' : `(${memberOf(query.until + 1, '').slice(0, -1)}`;
    if (query.cursor !== undefined && query.until !== undefined && query.cursor > memberOf(query.until + 1, '')) {
      max = `(${memberOf(query.until + 1, '').slice(0, -1)}`;
    }
    const rcpt = query.rcpt?.toLowerCase();
    const out: QuarantineEntry[] = [];
    let examined = 0;
    let last: string | null = null;
    for (;;) {
      const batch = Math.min(limit - out.length + 20, MAX_EXAMINED - examined, MAX_PAGE);
      const members = await this.redis.zrevrangebylex(this.keys.order, max, min, 'LIMIT', 0, batch);
      if (members.length === 0) return { entries: out, next_cursor: null };
      const jsons = await this.redis.hmget(this.keys.entries, ...members.map((m) => m.slice(TIME_DIGITS + 1)));
      for (let i = 0; i < members.length; i++) {
        examined += 1;
        last = members[i]!;
        const json = jsons[i];
        if (json == null) continue; // removed meanwhile
        const { entry } = JSON.parse(json) as Stored;
        if (rcpt !== undefined && !entry.rcpt.some((r) => r.toLowerCase() === rcpt)) continue;
        if (query.symbol !== undefined && !entry.symbols.some((s) => s.name === query.symbol)) continue;
        out.push(entry);
        if (out.length === limit) return { entries: out, next_cursor: last };
      }
      if (members.length < batch) return { entries: out, next_cursor: null };
      if (examined >= MAX_EXAMINED) return { entries: out, next_cursor: last };
      max = `(${last}`;
    }
  }

  /** Ids of entries quarantined before `cutoffMs`, oldest first, at most `count`. */
  async expired(cutoffMs: number, count = EXPIRY_BATCH): Promise<string[]> {
    const members = await this.redis.zrangebylex(this.keys.order, '-', `(${memberOf(cutoffMs, '').slice(0, -1)}`, 'LIMIT', 0, count);
    return members.map((m) => m.slice(TIME_DIGITS + 1));
  }
}
