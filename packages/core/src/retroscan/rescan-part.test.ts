import { createHash } from 'node:crypto';
import { Registry } from 'prom-client';
import { buildAntivirusConfig, parseUcl, type Rule } from '@avfleet/config';
import { clean, fail, virus, type Scanner, type Verdict } from '@avfleet/scanners';
import { RuleVerdictCache } from '../cache/rule-verdict-cache';
import { VerdictCache } from '../cache/verdict-cache';
import type { RetroDetection } from '../contracts/retro-detection';
import { createFleetMetrics } from '../observe/fleet-metrics';
import type { Logger } from '../observe/logger';
import type { ObjectStore } from '../store/object-store';
import { createRescanPart } from './rescan-part';
import type { RememberedPart } from './retro-memory';
import type { RetroPartJob } from './start-retro-scan';

const RULE = buildAntivirusConfig(parseUcl('clamav {\n  symbol = "CLAM_VIRUS";\n  servers = "127.0.0.1:3310";\n  prefix = "t_";\n}', { filename: 'antivirus.conf' }).value).rules[0] as Rule;
const BYTES = Buffer.from('a part that was clean yesterday');
const DIGEST = createHash('sha256').update(BYTES).digest('hex');

function setup(opts: { verdict: Verdict; version: string | null; published: string | null; stored?: boolean; alreadyRecorded?: boolean }) {
  const values = new Map<string, string>();
  const cache = new RuleVerdictCache(new VerdictCache({
    mget: async (...keys: string[]) => keys.map((k) => values.get(k) ?? null),
    setex: async (key: string, _ttl: number, value: string) => (values.set(key, value), 'OK' as const),
  }), false);
  const scanned: Buffer[] = [];
  const scanner: Scanner = {
    type: 'clamav',
    scan: async (body) => (scanned.push(body.buffer as Buffer), opts.verdict),
    signatureVersion: async () => opts.version,
  };
  const store = { get: async () => (opts.stored === false ? Promise.reject(new Error('gone')) : BYTES) } as unknown as ObjectStore;
  const part: RememberedPart = {
    rule: 'clamav', digest: DIGEST, storedAt: 0, carriersOmitted: 0,
    location: { key: `parts/${DIGEST}`, size: BYTES.length, filename: 'a.pdf', contentType: null },
    carriers: [{ scanId: 'S1', time: '2026-12-07T00:00:00.000Z', queueId: 'Q1', from: 's@x.org', recipients: ['r@x.org'], messageId: '<m@x>' }],
  };
  const announced: RetroDetection[] = [];
  const warns: Record<string, unknown>[] = [];
  const logger: Logger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (o) => warns.push(o as Record<string, unknown>), child: () => logger };
  const metrics = createFleetMetrics(new Registry());
  const rescan = createRescanPart({
    rules: new Map([['clamav', RULE]]), scanners: new Map([['clamav', scanner]]), cache, store,
    memory: { detect: async (_r, _d, build) => (opts.alreadyRecorded ? null : build(part)) },
    published: { get: async () => opts.published }, announce: async (d) => { announced.push(d); }, metrics, logger, now: () => Date.UTC(2026, 11, 7, 8),
  });
  const job: RetroPartJob = { v: 1, runId: 'R', rule: 'clamav', digest: DIGEST, location: part.location, trigger: 'demand' };
  return { rescan, job, values, scanned, announced, warns, metrics, cache };
}

describe('a retro part job', () => {
  it('found infected: the cache entry is replaced under the scanner\'s and the published version, then the detection is recorded, logged and announced', async () => {
    const t = setup({ verdict: virus(['New.Sig']), version: '27001', published: '27000' });
    await expect(t.rescan(t.job)).resolves.toBe('detected');
    expect(t.scanned).toEqual([BYTES]);
    expect([...t.values.keys()].sort()).toEqual([t.cache.keyFor(RULE, DIGEST, '27000'), t.cache.keyFor(RULE, DIGEST, '27001')].sort());
    const [hit] = await t.cache.lookupMany([{ rule: RULE, sha256: DIGEST, sigver: '27000' }]);
    expect(hit?.verdict).toMatchObject({ kind: 'virus', names: ['New.Sig'] });
    expect(t.announced).toEqual([expect.objectContaining({ type: 'retro_detection', rule: 'clamav', viruses: ['New.Sig'], digest: DIGEST, signatureVersion: '27001', detectedAt: '2026-12-07T08:00:00.000Z', carriersTruncated: false })]);
    expect(t.announced[0]?.carriers.map((c) => c.queueId)).toEqual(['Q1']);
    expect(t.warns).toEqual([expect.objectContaining({ code: 'AVF_WARN_RETRO_DETECTION', rule: 'clamav', scans: [{ scanId: 'S1', queueId: 'Q1' }] })]);
    expect((await t.metrics.retroDetections.get()).values).toEqual([expect.objectContaining({ value: 1, labels: { rule: 'clamav' } })]);
  });

  it('already recorded by another worker: the cache is still replaced, nothing announced twice', async () => {
    const t = setup({ verdict: virus(['New.Sig']), version: null, published: '0', alreadyRecorded: true });
    await expect(t.rescan(t.job)).resolves.toBe('already');
    // No version from the scanner is version 0, the one published: one key.
    expect([...t.values.keys()]).toEqual([t.cache.keyFor(RULE, DIGEST, '0')]);
    expect(t.announced).toEqual([]);
  });

  it('still clean: nothing changes; bytes gone from the store: skipped and counted, never a detection', async () => {
    const c = setup({ verdict: clean(), version: '1', published: '1' });
    await expect(c.rescan(c.job)).resolves.toBe('clean');
    expect(c.values.size).toBe(0);
    const g = setup({ verdict: virus(['X']), version: '1', published: '1', stored: false });
    await expect(g.rescan(g.job)).resolves.toBe('other');
    expect(g.scanned).toEqual([]);
    expect((await g.metrics.retroPartsScanned.get()).values).toEqual([expect.objectContaining({ value: 1, labels: { rule: 'clamav', verdict: 'unreadable' } })]);
  });

  it('a scan that fails (scanner down) throws, so the job is tried again; nothing is cached or detected', async () => {
    const t = setup({ verdict: fail('connection refused', 'error'), version: '1', published: '1' });
    await expect(t.rescan(t.job)).rejects.toThrow(/connection refused/);
    expect(t.values.size).toBe(0);
    expect(t.announced).toEqual([]);
  });
});
