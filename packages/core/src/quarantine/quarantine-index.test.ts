import type { QuarantineEntry } from './quarantine-entry';
import { MAX_EXAMINED, QuarantineIndex, memberOf, parseCursor, quarantineKeys, type IndexRedis } from './quarantine-index';

/**
 * Redis as the index uses it, in memory: a lexicographic sorted set, a hash, a counter, and the
 * three scripts by what they do (told apart by their text). EVALSHA always answers NOSCRIPT, so
 * every call goes through `eval` with the script's own text.
 */
function memoryIndexRedis(): IndexRedis & { readonly order: Set<string>; readonly hash: Map<string, string>; bytes: number } {
  const order = new Set<string>();
  const hash = new Map<string, string>();
  const state = { bytes: 0 };
  const inRange = (m: string, min: string, max: string): boolean => {
    const above = min === '-' || (min[0] === '[' ? m >= min.slice(1) : m > min.slice(1));
    const below = max === '+' || (max[0] === '[' ? m <= max.slice(1) : m < max.slice(1));
    return above && below;
  };
  const sorted = (): string[] => [...order].sort();
  return {
    order, hash,
    get bytes() { return state.bytes; },
    set bytes(b: number) { state.bytes = b; },
    evalsha: async () => Promise.reject(new Error('NOSCRIPT No matching script')),
    async eval(script: string, _numKeys: number, ...args: string[]) {
      const argv = args.slice(script.includes("KEYS[3]") ? 3 : 1);
      if (script.includes('ZADD')) {
        const [member, id, json, size, maxEntries, maxBytes] = argv as [string, string, string, string, string, string];
        if (hash.has(id)) return [0, 0, 0];
        if (hash.size >= Number(maxEntries) || state.bytes + Number(size) > Number(maxBytes)) return [2, hash.size, state.bytes];
        order.add(member);
        hash.set(id, json);
        state.bytes += Number(size);
        return [1, hash.size, state.bytes];
      }
      if (script.includes('DECRBY')) {
        const id = argv[0]!;
        const json = hash.get(id);
        if (json === undefined) return [0, hash.size, state.bytes];
        const stored = JSON.parse(json) as { member: string; entry: { size: number } };
        order.delete(stored.member);
        hash.delete(id);
        state.bytes = Math.max(0, state.bytes - stored.entry.size);
        return [1, hash.size, state.bytes];
      }
      const [id, json] = argv as [string, string];
      if (!hash.has(id)) return 0;
      hash.set(id, json);
      return 1;
    },
    zrevrangebylex: async (_key, max, min, _l, offset, count) => sorted().reverse().filter((m) => inRange(m, min, max)).slice(offset, offset + count),
    zrangebylex: async (_key, min, max, _l, offset, count) => sorted().filter((m) => inRange(m, min, max)).slice(offset, offset + count),
    hget: async (_key, field) => hash.get(field) ?? null,
    hmget: async (_key, ...fields) => fields.map((f) => hash.get(f) ?? null),
    hlen: async () => hash.size,
    get: async () => String(state.bytes),
  };
}

function entry(id: string, over: Partial<QuarantineEntry> = {}): QuarantineEntry {
  return {
    id, quarantined_at: '2026-01-01T00:00:00.000Z', received_at: '2026-01-01T00:00:00.000Z', queue_id: null, from: 's@example.org', rcpt: ['r@example.org'],
    subject: null, size: 10, action: 'reject', score: 15, symbols: [{ name: 'CLAM_VIRUS', options: ['Eicar-Signature'] }], released: null, ...over,
  };
}

const T0 = 1_780_000_000_000;

describe('QuarantineIndex', () => {
  it('members sort by time, then id; a cursor is a member', () => {
    expect(memberOf(T0, 'A') < memberOf(T0 + 1, 'A')).toBe(true);
    expect(memberOf(T0, 'A') < memberOf(T0, 'B')).toBe(true);
    expect(memberOf(9, 'X')).toBe('000000000000009:X');
    expect(parseCursor(memberOf(T0, 'ABC'))).toBe(memberOf(T0, 'ABC'));
    expect(parseCursor('1:ABC')).toBeNull();
    expect(parseCursor(`${memberOf(T0, 'A')}/../x`)).toBeNull();
  });

  it('keeps its keys in one Redis Cluster hash slot', () => {
    const k = quarantineKeys('avf');
    for (const key of Object.values(k)) expect(key).toContain('{quarantine}');
  });

  it('adds once per id, counts entries and bytes, and refuses past either bound', async () => {
    const redis = memoryIndexRedis();
    const index = new QuarantineIndex(redis, 'p', { maxEntries: 2, maxBytes: 25 });
    await expect(index.add(entry('A'), T0)).resolves.toEqual({ outcome: 'kept', stats: { entries: 1, bytes: 10 } });
    await expect(index.add(entry('A'), T0)).resolves.toEqual({ outcome: 'already' });
    await expect(index.add(entry('B', { size: 16 }), T0)).resolves.toEqual({ outcome: 'full', stats: { entries: 1, bytes: 10 } });
    await expect(index.add(entry('B', { size: 15 }), T0)).resolves.toEqual({ outcome: 'kept', stats: { entries: 2, bytes: 25 } });
    await expect(index.add(entry('C', { size: 0 }), T0)).resolves.toEqual({ outcome: 'full', stats: { entries: 2, bytes: 25 } });
    await expect(index.remove('A')).resolves.toEqual({ entries: 1, bytes: 15 });
    await expect(index.remove('A')).resolves.toBeNull();
    await expect(index.get('A')).resolves.toBeNull();
    await expect(index.get('B')).resolves.toMatchObject({ id: 'B', size: 15 });
    await expect(index.stats()).resolves.toEqual({ entries: 1, bytes: 15 });
  });

  it('lists newest first in pages that join up exactly, with nothing repeated or missed (equal times included)', async () => {
    const redis = memoryIndexRedis();
    const index = new QuarantineIndex(redis, 'p', { maxEntries: 1000, maxBytes: 1e9 });
    const ids: string[] = [];
    for (let i = 0; i < 23; i++) {
      const id = `ID${String(i).padStart(2, '0')}`;
      ids.push(id);
      await index.add(entry(id), T0 + Math.floor(i / 3)); // three at each time
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await index.list({ limit: 5, ...(cursor ? { cursor } : {}) });
      seen.push(...page.entries.map((e) => e.id));
      if (page.next_cursor === null) break;
      cursor = page.next_cursor;
    }
    expect(seen).toEqual([...ids].reverse());
  });

  it('filters by time (inclusive), recipient (any case) and symbol', async () => {
    const index = new QuarantineIndex(memoryIndexRedis(), 'p', { maxEntries: 1000, maxBytes: 1e9 });
    await index.add(entry('OLD', { rcpt: ['a@x.org'] }), T0);
    await index.add(entry('MID', { rcpt: ['b@x.org', 'A@X.org'], symbols: [{ name: 'OTHER' }] }), T0 + 1000);
    await index.add(entry('NEW', { rcpt: ['b@x.org'] }), T0 + 2000);
    const ids = async (q: Parameters<QuarantineIndex['list']>[0]): Promise<string[]> => (await index.list(q)).entries.map((e) => e.id);
    await expect(ids({ since: T0 + 1000 })).resolves.toEqual(['NEW', 'MID']);
    await expect(ids({ until: T0 + 1000 })).resolves.toEqual(['MID', 'OLD']);
    await expect(ids({ since: T0 + 1000, until: T0 + 1000 })).resolves.toEqual(['MID']);
    await expect(ids({ rcpt: 'a@x.org' })).resolves.toEqual(['MID', 'OLD']);
    await expect(ids({ symbol: 'CLAM_VIRUS' })).resolves.toEqual(['NEW', 'OLD']);
    await expect(ids({ symbol: 'CLAM_VIRUS', rcpt: 'b@x.org' })).resolves.toEqual(['NEW']);
    await expect(ids({ rcpt: 'nobody@x.org' })).resolves.toEqual([]);
  });

  it('looks at MAX_EXAMINED entries at most per page, and the cursor carries on from there', async () => {
    const redis = memoryIndexRedis();
    const index = new QuarantineIndex(redis, 'p', { maxEntries: 1e6, maxBytes: 1e12 });
    const n = MAX_EXAMINED + 10;
    for (let i = 0; i < n; i++) await index.add(entry(`N${i}`, { rcpt: [i === 0 ? 'match@x.org' : 'other@x.org'] }), T0 + i);
    const first = await index.list({ rcpt: 'match@x.org' });
    expect(first.entries).toEqual([]);
    expect(first.next_cursor).toBe(memberOf(T0 + 10, 'N10'));
    const second = await index.list({ rcpt: 'match@x.org', cursor: first.next_cursor as string });
    expect(second.entries.map((e) => e.id)).toEqual(['N0']);
    expect(second.next_cursor).toBeNull();
  });

  it('names the entries older than a cutoff, oldest first, a bounded batch at a time', async () => {
    const index = new QuarantineIndex(memoryIndexRedis(), 'p', { maxEntries: 1000, maxBytes: 1e9 });
    for (let i = 0; i < 5; i++) await index.add(entry(`E${i}`), T0 + i * 1000);
    await expect(index.expired(T0 + 2000)).resolves.toEqual(['E0', 'E1']);
    await expect(index.expired(T0 + 2001, 2)).resolves.toEqual(['E0', 'E1']);
    await expect(index.expired(T0)).resolves.toEqual([]);
  });

  it('update replaces a stored entry and keeps where it sorts; a removed one stays removed', async () => {
    const index = new QuarantineIndex(memoryIndexRedis(), 'p', { maxEntries: 1000, maxBytes: 1e9 });
    await index.add(entry('A'), T0);
    const released = { ...entry('A'), released: { at: 'now', by: 'admin:1', relay: 'h:25' } };
    await expect(index.update(released)).resolves.toBe(true);
    await expect(index.list({})).resolves.toEqual({ entries: [released], next_cursor: null });
    await index.remove('A');
    await expect(index.update(released)).resolves.toBe(false);
  });
});
