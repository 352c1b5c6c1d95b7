import type { RetroCarrier } from '../contracts/retro-detection';
import type { BodyRange } from '../mime/mime-part';
import { LuaScript, type ScriptRedis } from '../queue/lua-script';

/** The Redis commands the memory uses (ioredis' Redis and Cluster satisfy it). */
export interface MemoryRedis extends ScriptRedis {
  zrangebyscore(key: string, min: string, max: string, withScores: 'WITHSCORES', limit: 'LIMIT', offset: number, count: number): Promise<string[]>;
  zrange(key: string, start: number, stop: number, withScores: 'WITHSCORES'): Promise<string[]>;
  hmget(key: string, ...fields: string[]): Promise<(string | null)[]>;
  hget(key: string, field: string): Promise<string | null>;
  lrange(key: string, start: number, stop: number): Promise<string[]>;
}

/** Where a remembered part's bytes are in the store (D59): a range of a stored raw message, or an object of its own (`parts/<sha256>`). */
export interface PartLocation {
  /** The store key: the raw message's, or the part's own. */
  readonly key: string;
  /** Set when the part is a range of the message under `key`. */
  readonly range?: BodyRange;
  /** Decoded bytes of the part. */
  readonly size: number;
  readonly filename: string | null;
  readonly contentType: string | null;
}

/** One (rule, part) the memory holds. */
export interface RememberedPart {
  readonly rule: string;
  readonly digest: string;
  readonly location: PartLocation;
  /** When its bytes were last stored (ms): it is remembered for the window from then. */
  readonly storedAt: number;
  /** The scans that carried it, the first `maxCarriers` of them. */
  readonly carriers: readonly RetroCarrier[];
  /** Scans that carried it beyond `maxCarriers` (counted, not listed). */
  readonly carriersOmitted: number;
}

/** One clean (rule, part) of a finished scan, offered to the memory; `location` null when the scan stored no bytes of it (answered from the cache). */
export interface PartOffer {
  readonly rule: string;
  readonly digest: string;
  readonly location: PartLocation | null;
}

export interface MemoryBounds {
  readonly maxEntries: number;
  /** Redis bytes (member names and values) at most. */
  readonly maxBytes: number;
  readonly maxCarriers: number;
}

export interface MemoryStats {
  readonly entries: number;
  readonly bytes: number;
}

export interface RememberOutcome {
  /** New (rule, part) pairs. */
  readonly added: number;
  /** Known pairs that got one more carrier (or a fresher location). */
  readonly carried: number;
  /** Offers refused by a bound. */
  readonly full: number;
  /** The memory's size after the call; null when the call needed no bound (only carriers counted past MAX_CARRIERS). */
  readonly stats: MemoryStats | null;
}

/** Detections `GET /retro-detections` can list: the newest are kept. */
export const MAX_DETECTIONS = 1000;

/** Entries one expiry call removes at most (the next run carries on). */
export const RETRO_EXPIRY_BATCH = 1000;

/** Entries one listing page reads (a retro-scan pages through its rule's entries). */
const LIST_PAGE = 500;

/** The memory's keys, in one Redis Cluster hash slot (`{retro}`), so each script touches one slot. */
export function retroKeys(queuePrefix: string): { readonly order: string; readonly entries: string; readonly stats: string; readonly detections: string } {
  const p = `${queuePrefix}:{retro}`;
  return { order: `${p}:order`, entries: `${p}:entries`, stats: `${p}:stats`, detections: `${p}:detections` };
}

/** The member of a (rule, part): the rule, then the part's SHA-256 (64 hex digits, so the last `:` splits them). */
export function memberOf(rule: string, digest: string): string {
  return `${rule}:${digest}`;
}

function splitMember(member: string): { rule: string; digest: string } {
  const i = member.lastIndexOf(':');
  return { rule: member.slice(0, i), digest: member.slice(i + 1) };
}

/** A stored value: the location and the carriers as JSON strings (cjson would turn an empty array into `{}`), the time as a string (no float rounding). */
interface StoredValue {
  readonly l: string;
  readonly t: string;
  readonly c: readonly string[];
  readonly x: number;
}

// KEYS: order, entries, stats. ARGV: now, maxEntries, maxBytes, maxCarriers, carrier, then (member, location) pairs ('' = no bytes stored by this scan).
// A known pair gets the carrier (or one more omitted) and, with a location, the fresher location and time; a new pair needs a location and room.
// The stats hash (entries, bytes) is read only when a bound must be checked: a pair past its carriers costs HGET and HSET alone.
// Returns added, carried, full, then entries and bytes after the call (-1, -1 when they were not read).
const REMEMBER = new LuaScript(`
local now, maxE, maxB, maxC, carrier = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local added, carried, full, grew = 0, 0, 0, 0
local stats = nil
local function load()
  if not stats then
    local s = redis.call('HMGET', KEYS[3], 'entries', 'bytes')
    stats = { tonumber(s[1] or '0'), tonumber(s[2] or '0') }
  end
end
for i = 6, #ARGV, 2 do
  local member, loc = ARGV[i], ARGV[i + 1]
  local old = redis.call('HGET', KEYS[2], member)
  if old then
    local e = cjson.decode(old)
    local appended = #e.c < maxC
    if appended then table.insert(e.c, carrier) else e.x = e.x + 1 end
    if loc ~= '' then e.l = loc; e.t = now end
    local v = cjson.encode(e)
    local room = true
    if appended or loc ~= '' then
      load()
      room = stats[2] + grew + #v - #old <= maxB
    end
    if room then
      grew = grew + #v - #old
      redis.call('HSET', KEYS[2], member, v)
      if loc ~= '' then redis.call('ZADD', KEYS[1], now, member) end
      carried = carried + 1
    else
      full = full + 1
    end
  elseif loc ~= '' then
    local v = cjson.encode({ l = loc, t = now, c = { carrier }, x = 0 })
    load()
    if stats[1] + added >= maxE or stats[2] + grew + #member + #v > maxB then
      full = full + 1
    else
      redis.call('HSET', KEYS[2], member, v)
      redis.call('ZADD', KEYS[1], now, member)
      grew = grew + #member + #v
      added = added + 1
    end
  end
end
if added > 0 then redis.call('HINCRBY', KEYS[3], 'entries', added) end
if grew ~= 0 then redis.call('HINCRBY', KEYS[3], 'bytes', grew) end
if stats then return { added, carried, full, stats[1] + added, stats[2] + grew } end
return { added, carried, full, -1, -1 }
`, 3);

// KEYS: order, entries, stats. ARGV: cutoff (ms, exclusive), max. Removes entries stored before the cutoff.
const EXPIRE = new LuaScript(`
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local freed, gone = 0, 0
for _, m in ipairs(members) do
  local v = redis.call('HGET', KEYS[2], m)
  if v then
    freed = freed + #m + #v
    gone = gone + 1
    redis.call('HDEL', KEYS[2], m)
  end
  redis.call('ZREM', KEYS[1], m)
end
if gone > 0 then
  redis.call('HINCRBY', KEYS[3], 'entries', -gone)
  redis.call('HINCRBY', KEYS[3], 'bytes', -freed)
end
local s = redis.call('HMGET', KEYS[3], 'entries', 'bytes')
return { #members, tonumber(s[1] or '0'), tonumber(s[2] or '0') }
`, 3);

// KEYS: order, entries, stats, detections. ARGV: member, the value the detection was built from, detection JSON, max detections.
// 1: recorded (the pair leaves the memory: it is no longer clean); 0: gone (another worker recorded it); -1: changed meanwhile (build again).
const DETECT = new LuaScript(`
local v = redis.call('HGET', KEYS[2], ARGV[1])
if not v then return 0 end
if v ~= ARGV[2] then return -1 end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HINCRBY', KEYS[3], 'entries', -1)
redis.call('HINCRBY', KEYS[3], 'bytes', -(#ARGV[1] + #v))
redis.call('LPUSH', KEYS[4], ARGV[3])
redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[4]) - 1)
return 1
`, 4);

/**
 * The retro-scan's memory in Redis: for each rule, the parts it scanned clean within the
 * window — where their bytes are and which scans carried them — bounded in entries, bytes and
 * carriers per part. A sorted set orders the (rule, part) pairs by the time their bytes were
 * last stored (expiry and the store's retention read it); a hash holds each pair's value; a
 * small hash counts the pairs and their Redis bytes. A finished scan writes all its clean parts in one script call.
 */
export class RetroMemory {
  private readonly keys: ReturnType<typeof retroKeys>;

  constructor(
    private readonly redis: MemoryRedis,
    queuePrefix: string,
    private readonly bounds: MemoryBounds,
  ) {
    this.keys = retroKeys(queuePrefix);
  }

  /** The clean parts of one finished scan, with the scan as their carrier: one round trip. */
  async remember(offers: readonly PartOffer[], carrier: RetroCarrier, now = Date.now()): Promise<RememberOutcome> {
    const k = this.keys;
    const pairs = offers.flatMap((o) => [memberOf(o.rule, o.digest), o.location ? JSON.stringify(o.location) : '']);
    const b = this.bounds;
    const [added, carried, full, entries, bytes] = (await REMEMBER.run(
      this.redis, k.order, k.entries, k.stats, String(Math.floor(now)), String(b.maxEntries), String(b.maxBytes), String(b.maxCarriers), JSON.stringify(carrier), ...pairs,
    )) as [number, number, number, number, number];
    return { added, carried, full, stats: entries < 0 ? null : { entries, bytes } };
  }

  /**
   * The rule's pairs whose bytes were stored at or after `since`, a page at a time (oldest
   * first): `offset` is where the next page starts, null at the end. A page looks at LIST_PAGE
   * pairs of all rules.
   */
  async page(rule: string, since: number, offset = 0): Promise<{ readonly parts: readonly RememberedPart[]; readonly next: number | null }> {
    const flat = await this.redis.zrangebyscore(this.keys.order, String(Math.floor(since)), '+inf', 'WITHSCORES', 'LIMIT', offset, LIST_PAGE);
    const members: string[] = [];
    for (let i = 0; i < flat.length; i += 2) if (splitMember(flat[i]!).rule === rule) members.push(flat[i]!);
    const values = members.length > 0 ? await this.redis.hmget(this.keys.entries, ...members) : [];
    const parts = members.flatMap((m, i) => {
      const v = values[i];
      return v ? [partOf(m, v)] : [];
    });
    return { parts, next: flat.length / 2 < LIST_PAGE ? null : offset + LIST_PAGE };
  }

  /** One pair as stored now, or null. */
  async get(rule: string, digest: string): Promise<RememberedPart | null> {
    const member = memberOf(rule, digest);
    const v = await this.redis.hget(this.keys.entries, member);
    return v ? partOf(member, v) : null;
  }

  /**
   * Records a retro detection of (rule, digest): `build` makes it from the pair as stored, and
   * it is kept (newest first, MAX_DETECTIONS at most) while the pair leaves the memory, in one
   * script — so however many workers find the same part, one detection is recorded. Null when
   * the pair is not (or no longer) remembered.
   */
  async detect<D>(rule: string, digest: string, build: (part: RememberedPart) => D): Promise<D | null> {
    const member = memberOf(rule, digest);
    const k = this.keys;
    for (let attempt = 0; attempt < 5; attempt++) {
      const v = await this.redis.hget(k.entries, member);
      if (!v) return null;
      const detection = build(partOf(member, v));
      const outcome = Number(await DETECT.run(this.redis, k.order, k.entries, k.stats, k.detections, member, v, JSON.stringify(detection), String(MAX_DETECTIONS)));
      if (outcome === 1) return detection;
      if (outcome === 0) return null;
    }
    return null;
  }

  /** The recorded detections, newest first. */
  async detections(limit: number): Promise<unknown[]> {
    const rows = await this.redis.lrange(this.keys.detections, 0, Math.max(0, Math.min(limit, MAX_DETECTIONS)) - 1);
    return rows.map((r) => JSON.parse(r) as unknown);
  }

  /** Removes pairs whose bytes were stored before `cutoff` (ms), at most `max`; `complete` false when more may be left. */
  async expire(cutoff: number, max = RETRO_EXPIRY_BATCH): Promise<{ readonly removed: number; readonly complete: boolean; readonly stats: MemoryStats }> {
    const k = this.keys;
    const [removed, entries, bytes] = (await EXPIRE.run(this.redis, k.order, k.entries, k.stats, String(Math.floor(cutoff)), String(max))) as [number, number, number];
    return { removed, complete: removed < max, stats: { entries, bytes } };
  }

  /** When the oldest remembered bytes were stored (ms), or null when nothing is remembered: store retention keeps everything from then on. */
  async oldestStoredAt(): Promise<number | null> {
    const first = await this.redis.zrange(this.keys.order, 0, 0, 'WITHSCORES');
    return first.length === 2 ? Number(first[1]) : null;
  }

  async stats(): Promise<MemoryStats> {
    const [entries, bytes] = await this.redis.hmget(this.keys.stats, 'entries', 'bytes');
    return { entries: Number(entries ?? 0), bytes: Number(bytes ?? 0) };
  }
}

function partOf(member: string, value: string): RememberedPart {
  const { rule, digest } = splitMember(member);
  const v = JSON.parse(value) as StoredValue;
  // cjson writes a one-element array as an array, but reads back `[]` as `{}`: never empty here (a pair is made with its first carrier).
  const carriers = Array.isArray(v.c) ? v.c.map((c) => JSON.parse(c) as RetroCarrier) : [];
  return { rule, digest, location: JSON.parse(v.l) as PartLocation, storedAt: Number(v.t), carriers, carriersOmitted: v.x };
}
