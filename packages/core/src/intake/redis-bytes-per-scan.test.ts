import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildAntivirusConfig, parseUcl, type AntivirusConfig } from '@avfleet/config';
import {
  DEFAULT_MIME_LIMITS, EMPTY_META, FolderObjectStore, MAX_NAME_BYTES, MAX_RESULT_PARTS, NOOP_LOGGER, finishScan, scanRedisBytes, splitMessage,
  type AggregateJobData, type ScanJobData, type ScanJobResult, type ScanResult,
} from '../index';
import type { EnqueueScan } from '../queue/enqueue-scan';
import { acceptMessage } from './accept-message';

/**
 * Issue 16 row 1: a client names its parts, and whatever it names must cost Redis
 * at most a small multiple of the request (README "Limits"). Measured here from
 * the serialized job data and result, as avfleet_scan_redis_bytes counts them.
 */

const clamav = (extra = ''): AntivirusConfig => buildAntivirusConfig(
  parseUcl(`clamav { scan_mime_parts = true; symbol = "CLAM_VIRUS"; type = "clamav"; servers = "127.0.0.1:3310"; show_attachments = true; ${extra} }`,
    { filename: 'antivirus.conf' }).value,
);

function message(parts: readonly { name: string; body: string }[]): Buffer {
  const head = ['From: a@example.org', 'To: b@example.org', 'Subject: names', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b1"', '', ''];
  const body = parts.map((p) => ['--b1', 'Content-Type: application/octet-stream', `Content-Disposition: attachment; filename="${p.name}"`, '', p.body, ''].join('\r\n'));
  return Buffer.from([...head, '--b1', 'Content-Type: text/plain', '', 'hello', '', ...body, '--b1--', ''].join('\r\n'));
}

interface Accepted { parent: AggregateJobData; children: ScanJobData[] }

async function accept(raw: Buffer, config: AntivirusConfig): Promise<Accepted> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'avfleet-bytes-'));
  try {
    const flows: { data: AggregateJobData; children: ScanJobData[] }[] = [];
    const enqueue: EnqueueScan = async (data, children) => void flows.push({ data, children: [...children] });
    await acceptMessage(raw, EMPTY_META, {
      config, store: new FolderObjectStore(dir), enqueue, ipWhitelists: new Map(), mimeLimits: DEFAULT_MIME_LIMITS, rejectThreshold: 15, logger: NOOP_LOGGER, probe: null, cancels: { cancel: async () => undefined },
    });
    expect(flows).toHaveLength(1);
    return { parent: flows[0].data, children: flows[0].children };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** The children's answers, as the aggregation reads them: `verdictOf(child)` for each. */
function answers(children: readonly ScanJobData[], verdictOf: (c: ScanJobData) => ScanJobResult['verdict']): Record<string, ScanJobResult> {
  return Object.fromEntries(children.map((c, i) => [`child-${i}`, { rule: c.rule, partIndex: c.partIndex, verdict: verdictOf(c), cached: false, ms: 1 }]));
}

function aggregate(config: AntivirusConfig, parent: AggregateJobData, values: Record<string, ScanJobResult>): ScanResult {
  return finishScan({
    rules: config.rules, symbolScores: config.symbolScores, thresholds: { reject: 15, 'add header': 6, greylist: 4 }, whitelists: new Map(),
    job: parent, results: Object.values(values), now: parent.receivedAt + 5,
  });
}

const bytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v));

describe('Redis bytes per scan', () => {
  it('a 5 MB message of 100 parts, each named with 50 KB: job data and result together stay under 2 × the request', async () => {
    const config = clamav();
    const parts = Array.from({ length: 100 }, (_, i) => ({ name: `${String(i).padStart(3, '0')}-${'n'.repeat(50_000)}.exe`, body: `body ${i}` }));
    const raw = message(parts);
    expect(raw.length).toBeGreaterThan(5_000_000);
    const { parent, children } = await accept(raw, config);
    expect(children).toHaveLength(100);

    // Every name, in the parent and in each child, is cut to the bound, keeps its start and extension, and says so.
    for (const name of [...parent.parts.map((p) => p.filename), ...children.map((c) => c.filename)]) {
      expect(Buffer.byteLength(name as string)).toBeLessThanOrEqual(MAX_NAME_BYTES);
      expect(name).toMatch(/^\d{3}-n+…\[\d+ bytes cut\]…n+\.exe$/);
    }
    // A virus in every part: the symbol options and the verdicts show the (cut) names.
    const values = answers(children, () => ({ kind: 'virus', names: ['Eicar-Test-Signature'] }));
    const result = aggregate(config, parent, values);
    expect(result.symbols.CLAM_VIRUS?.options?.[0]).toMatch(/^Eicar-Test-Signature\|000-n+…/);
    const total = scanRedisBytes(result, { data: parent, values }) + children.reduce((n, c) => n + bytes(c), 0);
    expect(total).toBeLessThanOrEqual(2 * raw.length);
    // Not merely under 2 ×: the names no longer scale with what the client sent.
    expect(total).toBeLessThan(raw.length / 10);
  });

  it('file-name filters still see the whole name: only the part whose long name ends in .exe is scanned', async () => {
    const config = clamav('mime_parts_filter_ext = { exe = "exe" };');
    const long = 'x'.repeat(10_000);
    const { children } = await accept(message([{ name: `${long}.exe`, body: 'one' }, { name: `${long}.txt`, body: 'two' }]), config);
    expect(children).toHaveLength(1);
    expect(children[0].filename).toMatch(/\.exe$/);
  });

  it('a result lists at most MAX_RESULT_PARTS parts, findings first, and counts the rest in parts_omitted', async () => {
    const config = clamav();
    const count = MAX_RESULT_PARTS + 20;
    const { parent, children } = await accept(message(Array.from({ length: count }, (_, i) => ({ name: `f${i}.bin`, body: `b${i}` }))), config);
    const infected = new Set([children[count - 1].partIndex, children[count - 2].partIndex]);
    const result = aggregate(config, parent, answers(children, (c) => (infected.has(c.partIndex) ? { kind: 'virus', names: ['V'] } : { kind: 'clean' })));
    expect(result.parts).toHaveLength(MAX_RESULT_PARTS);
    expect(result.parts_omitted).toBe(count - MAX_RESULT_PARTS);
    expect(result.parts.filter((p) => infected.has(p.path))).toHaveLength(2);
    const order = result.parts.map((p) => p.index);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('a normal message: job data and result are exactly what the whole names give (nothing cut, no parts_omitted)', async () => {
    const config = clamav();
    const names = ['invoice.pdf', 'Überweisung März.docx', 'a'.repeat(MAX_NAME_BYTES - 4) + '.zip'];
    const raw = message(names.map((name, i) => ({ name, body: `content ${i}` })));
    const { parent, children } = await accept(raw, config);
    const split = await splitMessage(raw, DEFAULT_MIME_LIMITS);
    const byPath = new Map(split.parts.map((p) => [p.index, p]));
    // The summaries carry the split parts' own facts, unchanged.
    expect(parent.parts.map((p) => [p.path, p.filename, p.content_type, p.detected_type, p.sha256])).toEqual(
      parent.parts.map((p) => {
        const s = byPath.get(p.path)!;
        return [p.path, s.filename, s.declaredType, s.detectedType, s.sha256];
      }),
    );
    expect(parent.parts.map((p) => p.filename)).toEqual(names);
    expect(children.map((c) => c.filename)).toEqual(names);
    const result = aggregate(config, parent, answers(children, () => ({ kind: 'virus', names: ['V'] })));
    expect(result.parts_omitted).toBeUndefined();
    expect(result.parts.map((p) => p.filename)).toEqual(names);
    expect(result.symbols.CLAM_VIRUS?.options).toEqual(names.map((n) => `V|${n}`));
  });
});
