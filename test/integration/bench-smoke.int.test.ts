/**
 * Keeps `npm run bench` from rotting: a five-message corpus through the bench's own code
 * path (limit, fleet cold + warm with separate producer/worker processes, warm again with new ones, one scale-out
 * point against the clamd simulator). Needs `npm run build` (the fleet runs apps/cli/bin).
 * Asserts correctness and bookkeeping only, never speed (docs/interfaces.md §6.6).
 */
import { parseBenchArgs } from '../../benchmarks/src/bench-args';
import { generateCorpus } from '../../benchmarks/src/corpus/generate-corpus';
import { EICAR } from '../../benchmarks/src/corpus/make-attachment';
import { sumMetric } from '../../benchmarks/src/measure/worker-metrics';
import { splitJsonObjects } from '../../benchmarks/src/phases/rspamc-driver';
import { soakTrend } from '../../benchmarks/src/phases/soak-phase';
import { runBench } from '../../benchmarks/src/run-bench';

jest.setTimeout(90000);

describe('bench corpus', () => {
  it('is deterministic per seed and has the promised mix', () => {
    const a = generateCorpus({ messages: 40, seed: 'smoke-det' });
    const b = generateCorpus({ messages: 40, seed: 'smoke-det' });
    expect(a.messages.map((m) => m.bytes.toString('base64'))).toEqual(b.messages.map((m) => m.bytes.toString('base64')));
    expect(generateCorpus({ messages: 3, seed: 'other' }).messages[0]!.bytes.equals(a.messages[0]!.bytes)).toBe(false);
    const s = a.summary;
    expect(s.textOnly).toBeGreaterThan(5);
    expect(s.textOnly).toBeLessThan(24);
    expect(s.withReuse).toBeGreaterThan(3);
    expect(s.uniqueAttachments).toBeLessThan(s.attachments);
    for (const m of a.messages) {
      expect(m.attachments.length).toBeLessThanOrEqual(3);
      for (const att of m.attachments) if (att.kind !== 'eicar') expect(att.size).toBeGreaterThanOrEqual(10 * 1024 - 64);
      expect(m.eicar).toBe(m.attachments.some((x) => x.kind === 'eicar' || x.kind === 'eicar-zip'));
    }
    expect(EICAR.length).toBe(68);
  });

  it('parses rspamc output and Prometheus samples', () => {
    expect(splitJsonObjects('{"filename":"/a/1.eml","action":"reject","x":"}{"}\n{"filename":"2.eml"}')).toEqual([
      { filename: '/a/1.eml', action: 'reject', x: '}{' },
      { filename: '2.eml' },
    ]);
    const text = 'avfleet_cache_lookups_total{rule="clamav",result="hit"} 3\navfleet_cache_lookups_total{rule="clamav",result="miss"} 2\n';
    expect(sumMetric(text, 'avfleet_cache_lookups_total', 'result="hit"')).toBe(3);
    expect(sumMetric(text, 'avfleet_cache_lookups_total')).toBe(5);
  });
});

describe('bench run (5 messages)', () => {
  it('measures limit, fleet cold/warm and a scale-out point with correct verdicts', async () => {
    const args = parseBenchArgs(['--messages', '5', '--seed', 'smoke-5', '--phases', 'limit,fleet-folder,scale-out', '--limit-connections', '1', '--scale-workers', '1', '--concurrency', '2', '--worker-concurrency', '2']);
    const lines: string[] = [];
    const report = await runBench(args, (l) => lines.push(l));
    const corpus = generateCorpus({ messages: 5, seed: 'smoke-5' });
    expect(report.corpus.withEicar).toBe(1);

    expect(report.limit).toHaveLength(1);
    expect(report.limit[0]).toMatchObject({ connections: 1, scans: corpus.summary.attachments, errors: 0, detections: 1 });

    const [cold, warm, warmRestarted, scale] = report.passes;
    expect(report.passes.map((p) => p.label)).toEqual([
      'fleet cold (folder store)', 'fleet warm (folder store)', 'fleet warm, new processes (folder store)', 'scale-out: 1 worker x 2, sim 50 ms',
    ]);
    for (const p of report.passes) {
      expect(p).toMatchObject({ messages: 5, errors: 0, wrongVerdicts: 0 });
      expect(p.ratioToLimit).toBeGreaterThan(0);
      expect(p.cpuSec.producer).toBeGreaterThan(0);
      expect(p.peakRssBytes.worker).toBeGreaterThan(10 * 1024 * 1024);
      expect(p.redisCommandsPerMessage).toBeGreaterThan(0);
    }
    // Cold: every distinct attachment reached clamd once at most; warm: none did (all cached).
    const coldScans = (cold!.extra?.workerMetrics as { scans: number }).scans;
    expect(coldScans).toBeGreaterThanOrEqual(1);
    expect(coldScans).toBeLessThanOrEqual(corpus.summary.attachments);
    // The warm pass ran in the cold pass's worker: its figures are that pass's own, not the process's totals.
    expect(warm!.extra?.workerMetrics).toMatchObject({ scans: 0, cacheMisses: 0 });
    expect(warmRestarted!.extra?.workerMetrics).toMatchObject({ scans: 0, cacheMisses: 0 });
    expect(cold!.storeBytesPerMessage).toBeGreaterThan(warm!.storeBytesPerMessage ?? Infinity);
    // Scale-out used the simulator, not clamd.
    expect(scale!.extra).toMatchObject({ workers: 1 });
    expect(scale!.extra?.scans as number).toBeGreaterThanOrEqual(1);
    expect(report.table).toContain('limit: raw INSTREAM x1');
    expect(report.table).toContain('fleet warm (folder store)');
  });
});

describe('bench memory and soak phases', () => {
  it('tells a flat series from a growing one, after the warm-up rounds', () => {
    const MB = 1e6;
    const flat = [100, 140, 150, 151, 149, 150, 152, 150, 151, 150].map((x) => x * MB);
    const growing = [100, 140, 150, 160, 170, 180, 190, 200, 210, 220].map((x) => x * MB);
    expect(soakTrend(flat, 8 * MB, 2)).toMatchObject({ flat: true, first: 100 * MB, last: 150 * MB });
    expect(soakTrend(growing, 8 * MB, 2)).toMatchObject({ flat: false });
    // The warm-up climb alone is not growth.
    expect(soakTrend([10, 50, 60, 60, 60, 60].map((x) => x * MB), 2 * MB, 2).flat).toBe(true);
  });

  it('runs one large message through producer and worker, and a short soak, with correct verdicts', async () => {
    const args = parseBenchArgs(['--messages', '5', '--seed', 'smoke-mem', '--phases', 'memory,soak', '--memory-mb', '3', '--soak-rounds', '3', '--concurrency', '2', '--worker-concurrency', '2']);
    const report = await runBench(args, () => undefined);
    const m = report.memory!;
    expect(m).toMatchObject({ attachmentBytes: 3e6, status: 200, action: 'reject', correct: true });
    expect(m.messageBytes).toBeGreaterThan(4e6); // base64 and MIME around the 3 MB
    for (const p of [m.producer, m.worker]) {
      expect(p.baselineBytes).toBeGreaterThan(10e6);
      expect(p.peakBytes).toBeGreaterThan(0);
      expect(p.growthX).toBe(Math.round((p.growthBytes / m.attachmentBytes) * 100) / 100);
    }
    const s = report.soak!;
    expect(s).toMatchObject({ rounds: 3, messages: 15, errors: 0, wrongVerdicts: 0 });
    for (const sample of s.samples) {
      expect(sample.producerRssBytes).toBeGreaterThan(10e6);
      expect(sample.workerRssBytes).toBeGreaterThan(10e6);
      expect(sample.redisUsedBytes).toBeGreaterThan(0);
    }
    expect(Object.keys(s.trends).sort()).toEqual(['producerRss', 'redisKeys', 'redisUsed', 'workerRss']);
  });
});

describe('bench mail-path phase (5 messages)', () => {
  it('sends the corpus through Postfix into avfleet and clamav-milter: every virus refused, nothing deferred, both paths measured', async () => {
    const args = parseBenchArgs(['--messages', '5', '--seed', 'smoke-5', '--phases', 'mail-path', '--concurrency', '2', '--worker-concurrency', '2']);
    const report = await runBench(args, () => undefined);
    expect(report.passes.map((p) => p.label)).toEqual([
      'mail cold: Postfix -> avfleet milter (smtp x2)', 'mail warm: Postfix -> avfleet milter (smtp x2)',
      'mail cold: Postfix -> clamav-milter (smtp x2)', 'mail warm: Postfix -> clamav-milter (smtp x2)',
    ]);
    for (const p of report.passes) {
      expect(p).toMatchObject({ messages: 5, errors: 0, wrongVerdicts: 0 });
      // smoke-5 holds one EICAR message (above).
      expect(p.extra?.replies).toEqual({ '2xx': 4, '4xx': 0, '5xx': 1, none: 0 });
      expect(p.cpuSec).toHaveProperty('postfix');
    }
    const [avfleetCold, , milterCold] = report.passes;
    expect(avfleetCold!.cpuSec.producer).toBeGreaterThan(0);
    expect(avfleetCold!.cpuSec.worker).toBeGreaterThan(0);
    expect(milterCold!.cpuSec).toHaveProperty('clamav-milter');
    expect(milterCold!.cpuSec).not.toHaveProperty('producer');
    expect(report.passes.reduce((s, p) => s + (p.cpuSec.postfix ?? 0), 0)).toBeGreaterThan(0);
    expect(report.table).toContain('mail cold: Postfix -> clamav-milter');
  });
});

describe('bench retroscan phase (6 messages)', () => {
  it('fills the window, measures live traffic before and during a retro-scan of it, with correct verdicts', async () => {
    const args = parseBenchArgs(['--messages', '6', '--seed', 'smoke-retro', '--phases', 'retroscan', '--concurrency', '2', '--worker-concurrency', '2']);
    const report = await runBench(args, () => undefined);
    expect(report.passes.map((p) => p.label)).toEqual(['live, no retro-scan (folder store)', 'live during a retro-scan of the window (folder store)']);
    for (const p of report.passes) expect(p).toMatchObject({ messages: 3, errors: 0, wrongVerdicts: 0 });
    const extra = report.passes[1]!.extra as { retroParts: number; retroPartsLeftAtPassEnd: number; p95Ratio: number };
    // Every clean attachment of the window and of the first live pass is remembered and scanned again.
    const distinct = (seed: string, n: number): number => {
      const c = generateCorpus({ messages: n, seed });
      return new Set(c.messages.flatMap((m) => m.attachments.filter((a) => !m.eicar || (a.kind !== 'eicar' && a.kind !== 'eicar-zip')).map((a) => a.sha256))).size;
    };
    expect(extra.retroParts).toBeGreaterThan(0);
    expect(extra.retroParts).toBeLessThanOrEqual(distinct('smoke-retro', 6) + distinct('smoke-retro-live', 3));
    expect(extra.p95Ratio).toBeGreaterThan(0);
  });
});
