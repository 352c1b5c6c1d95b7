import type { ScanResult } from '../contracts/scan-result';
import { EMPTY_META } from '../contracts/request-meta';
import { createFleetMetrics } from '../observe/fleet-metrics';
import { NOOP_LOGGER } from '../observe/logger';
import { Registry } from 'prom-client';
import { StoreError } from '../store/store-error';
import { createQuarantine, type QuarantineDeps } from './quarantine';
import type { QuarantineEntry } from './quarantine-entry';
import { entryOf, qualifies, subjectOf } from './quarantine-entry';
import type { AddOutcome } from './quarantine-index';
import { withReleasedHeader } from './release-message';

const T0 = 1_780_000_000_000;
const DAY = 86_400_000;

function result(over: Partial<ScanResult> = {}): ScanResult {
  return {
    id: '01KQ0000000000000000000000', state: 'done', action: 'reject', score: 15, required_score: 15,
    symbols: { CLAM_VIRUS: { name: 'CLAM_VIRUS', score: 15, options: ['Eicar-Signature'] } }, message: null, parts: [], skipped: {}, queue_id: 'Q1', elapsed_ms: 3, ...over,
  };
}

const META = { ...EMPTY_META, from: '<s@example.org>', rcpt: ['<r1@example.org>', 'r2@example.org'], queueId: 'Q1' };
const RAW = Buffer.from('Subject: =?UTF-8?B?aMOpbGxv?=\r\n world\r\nFrom: s@example.org\r\n\r\nbody\r\n');

/** The quarantine over an in-memory store and index, with a recording relay. */
function fixture(over: Partial<QuarantineDeps> = {}) {
  let now = T0;
  const objects = new Map<string, Buffer>();
  const entries = new Map<string, { entry: QuarantineEntry; at: number }>();
  const sent: Array<{ from: string; to: readonly string[]; raw: Buffer }> = [];
  const metrics = createFleetMetrics(new Registry());
  const fail = { put: false, index: false };
  const deps: QuarantineDeps = {
    mode: 'reject', retentionDays: 30, releaseSmtp: { host: '127.0.0.1', port: 2525 },
    store: {
      get: async (key) => {
        const b = objects.get(key);
        if (!b) throw new StoreError('AVF_ERR_STORE_NOT_FOUND', `no ${key}`);
        return b;
      },
      putQuarantined: async (id, data) => {
        if (fail.put) throw new StoreError('AVF_ERR_STORE_UNAVAILABLE', 'disk full');
        objects.set(`quarantine/${id}.eml`, data);
        return `quarantine/${id}.eml`;
      },
      delete: async (key) => void objects.delete(key),
    },
    index: {
      add: async (entry, at): Promise<AddOutcome> => {
        if (fail.index) throw new Error('Redis gone');
        if (entries.has(entry.id)) return { outcome: 'already' };
        entries.set(entry.id, { entry, at });
        return { outcome: 'kept', stats: { entries: entries.size, bytes: 0 } };
      },
      get: async (id) => entries.get(id)?.entry ?? null,
      update: async (entry) => {
        const e = entries.get(entry.id);
        if (e) e.entry = entry;
        return e !== undefined;
      },
      remove: async (id) => (entries.delete(id) ? { entries: entries.size, bytes: 0 } : null),
      stats: async () => ({ entries: entries.size, bytes: 0 }),
      list: async () => ({ entries: [...entries.values()].map((e) => e.entry).reverse(), next_cursor: null }),
      expired: async (cutoff, count = 500) => [...entries.values()].filter((e) => e.at < cutoff).map((e) => e.entry.id).slice(0, count),
    },
    metrics, logger: NOOP_LOGGER,
    send: async (_relay, envelope, raw) => {
      sent.push({ from: envelope.from, to: envelope.to, raw });
      return { accepted: [...envelope.to], response: '250 ok' };
    },
    now: () => now,
    ...over,
  };
  return { q: createQuarantine(deps), objects, entries, sent, metrics, fail, advance: (ms: number) => void (now += ms) };
}

const counter = async (f: ReturnType<typeof fixture>, name: string, labels: Record<string, string>): Promise<number> => {
  const m = (await f.metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = (m?.values as Array<{ labels: Record<string, string>; value: number }> | undefined)?.find((x) => Object.entries(labels).every(([k, l]) => x.labels[k] === l));
  return v?.value ?? 0;
};

describe('qualifies', () => {
  const virusPart = { index: 1, path: '1', filename: null, content_type: null, detected_type: null, size: 1, sha256: 'h', verdicts: { clamav: { kind: 'virus' as const, names: ['X'], cached: false, ms: 1 } } };
  it('off keeps nothing; reject keeps the reject action; virus adds any virus verdict', () => {
    expect(qualifies('off', result())).toBe(false);
    expect(qualifies('reject', result())).toBe(true);
    expect(qualifies('reject', result({ action: 'add header', parts: [virusPart] }))).toBe(false);
    expect(qualifies('virus', result({ action: 'add header', parts: [virusPart] }))).toBe(true);
    expect(qualifies('virus', result({ action: 'no action', message_verdicts: { clamav: virusPart.verdicts.clamav } }))).toBe(true);
    expect(qualifies('virus', result({ action: 'no action' }))).toBe(false);
  });
});

describe('entryOf', () => {
  it('takes the envelope without angle brackets, the decoded unfolded Subject, size, symbols and action', () => {
    const e = entryOf(result(), { meta: META, receivedAt: T0 - 5 }, RAW, T0);
    expect(e).toEqual({
      id: result().id, quarantined_at: new Date(T0).toISOString(), received_at: new Date(T0 - 5).toISOString(), queue_id: 'Q1',
      from: 's@example.org', rcpt: ['r1@example.org', 'r2@example.org'], subject: 'héllo world', size: RAW.length,
      action: 'reject', score: 15, symbols: [{ name: 'CLAM_VIRUS', options: ['Eicar-Signature'] }], released: null,
    });
  });
  it('finds no Subject in the body, and none in a file', () => {
    expect(subjectOf(Buffer.from('From: a\n\nSubject: not a header\n'))).toBeNull();
    expect(subjectOf(Buffer.from('\x00\x01binary'))).toBeNull();
  });
});

describe('withReleasedHeader', () => {
  it('puts the header on top in the message\'s own line ending; the bytes below are the original', () => {
    expect(withReleasedHeader(Buffer.from('A: b\r\n\r\nx'), 'v').toString()).toBe('X-Avfleet-Released: v\r\nA: b\r\n\r\nx');
    expect(withReleasedHeader(Buffer.from('A: b\n\nx'), 'v\r\nInjected: 1').toString()).toBe('X-Avfleet-Released: v Injected: 1\nA: b\n\nx');
  });
});

describe('createQuarantine', () => {
  it('keeps a rejected message (bytes given, or read from its store key) and lists it; not one that does not qualify', async () => {
    const f = fixture();
    await f.q.keep(result(), { meta: META, receivedAt: T0 }, RAW);
    f.objects.set('messages/2026/01/01/M.eml', RAW);
    await f.q.keep(result({ id: 'SECOND' }), { meta: META, receivedAt: T0 }, 'messages/2026/01/01/M.eml');
    await f.q.keep(result({ id: 'CLEAN', action: 'no action', symbols: {} }), { meta: META, receivedAt: T0 }, RAW);
    expect((await f.q.list({})).entries.map((e) => e.id)).toEqual(['SECOND', result().id]);
    await expect(f.q.raw('SECOND')).resolves.toEqual(RAW);
    expect(await counter(f, 'avfleet_quarantine_writes_total', { outcome: 'kept' })).toBe(2);
  });

  it('a store or Redis failure is logged and counted, never thrown, and leaves no orphan bytes', async () => {
    const f = fixture();
    f.fail.put = true;
    await expect(f.q.keep(result(), { meta: META, receivedAt: T0 }, RAW)).resolves.toBeUndefined();
    f.fail.put = false;
    f.fail.index = true;
    await expect(f.q.keep(result(), { meta: META, receivedAt: T0 }, RAW)).resolves.toBeUndefined();
    expect(f.objects.size).toBe(0);
    expect(await counter(f, 'avfleet_quarantine_writes_total', { outcome: 'failed' })).toBe(2);
  });

  it('release sends the original envelope and bytes under X-Avfleet-Released, notes who, and keeps the entry', async () => {
    const f = fixture();
    await f.q.keep(result(), { meta: META, receivedAt: T0 }, RAW);
    const r = await f.q.release(result().id, 'admin:abc');
    expect(f.sent).toHaveLength(1);
    expect(f.sent[0]!.from).toBe('s@example.org');
    expect(f.sent[0]!.to).toEqual(['r1@example.org', 'r2@example.org']);
    const text = f.sent[0]!.raw.toString('latin1');
    expect(text).toMatch(/^X-Avfleet-Released: \S+ by admin:abc; scan 01KQ0000000000000000000000\r\n/);
    expect(f.sent[0]!.raw.subarray(f.sent[0]!.raw.length - RAW.length)).toEqual(RAW);
    expect(r.entry.released).toEqual({ at: new Date(T0).toISOString(), by: 'admin:abc', relay: '127.0.0.1:2525' });
    await expect(f.q.get(result().id)).resolves.toMatchObject({ released: { by: 'admin:abc' } });
  });

  it('release of a message with a null sender sends MAIL FROM:<> (a bounce)', async () => {
    const f = fixture();
    await f.q.keep(result(), { meta: { ...META, from: null }, receivedAt: T0 }, RAW);
    await f.q.release(result().id, 'admin:abc');
    expect(f.sent[0]).toMatchObject({ from: '', to: ['r1@example.org', 'r2@example.org'] });
  });

  it('release refuses clearly: no relay, no recipients, the relay down (the entry stays), an unknown id', async () => {
    await expect(fixture({ releaseSmtp: null }).q.release('X', 'a')).rejects.toMatchObject({ code: 'AVF_ERR_RELEASE_NOT_CONFIGURED' });
    const f = fixture({ send: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:2525')) });
    await f.q.keep(result(), { meta: { ...META, rcpt: [] }, receivedAt: T0 }, RAW);
    await expect(f.q.release(result().id, 'a')).rejects.toMatchObject({ code: 'AVF_ERR_RELEASE_NO_RECIPIENTS' });
    await f.q.keep(result({ id: 'R' }), { meta: META, receivedAt: T0 }, RAW);
    await expect(f.q.release('R', 'a')).rejects.toMatchObject({ code: 'AVF_ERR_RELEASE_FAILED', message: expect.stringContaining('ECONNREFUSED') });
    await expect(f.q.get('R')).resolves.toMatchObject({ id: 'R', released: null });
    await expect(f.q.release('NOPE', 'a')).rejects.toMatchObject({ code: 'AVF_ERR_QUARANTINE_NOT_FOUND' });
    expect(await counter(f, 'avfleet_quarantine_releases_total', { outcome: 'failed' })).toBe(1);
  });

  it('remove deletes the bytes and the entry; a second remove is not found', async () => {
    const f = fixture();
    await f.q.keep(result(), { meta: META, receivedAt: T0 }, RAW);
    await f.q.remove(result().id, 'admin:abc');
    expect(f.objects.size).toBe(0);
    await expect(f.q.get(result().id)).rejects.toMatchObject({ code: 'AVF_ERR_QUARANTINE_NOT_FOUND' });
    await expect(f.q.remove(result().id, 'admin:abc')).rejects.toMatchObject({ code: 'AVF_ERR_QUARANTINE_NOT_FOUND' });
  });

  it('expire removes what is older than the retention, bytes and entry, and keeps the rest', async () => {
    const f = fixture({ retentionDays: 2 });
    await f.q.keep(result({ id: 'OLD' }), { meta: META, receivedAt: T0 }, RAW);
    f.advance(DAY);
    await f.q.keep(result({ id: 'NEW' }), { meta: META, receivedAt: T0 }, RAW);
    f.advance(DAY + 1);
    await expect(f.q.expire()).resolves.toMatchObject({ removed: 1, complete: true, stats: { entries: 1 } });
    expect([...f.objects.keys()]).toEqual(['quarantine/NEW.eml']);
    expect(await counter(f, 'avfleet_quarantine_removed_total', { reason: 'expired' })).toBe(1);
  });
});
