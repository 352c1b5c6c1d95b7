import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusMessage, generatedCorpus } from '../helpers/corpus';
import { scrape, startFleetUnderTest, type FleetUnderTest } from '../helpers/fleet-under-test';
import { hasSample, parsePromText, sampleSum, type PromScrape } from '../helpers/prometheus-text';
import { repoRoot } from '../helpers/repo-root';

/**
 * A running producer and worker are scraped after a few real scans; both
 * scrapes must pass `promtool check metrics` with no warning, and every
 * metric of docs/metrics.md must carry the samples those scans produce.
 */

const PROMTOOL = process.env.PROMTOOL ?? 'promtool';
const sample = (name: string): Buffer => readFileSync(join(repoRoot(), 'examples', 'samples', name));

// `clamav` scans attachments at the test clamd; `clamav_dead` points at a port nobody listens on (fail verdicts, upstream errors).
const CONF = `
clamav {
  scan_mime_parts = true;
  symbol = "CLAM_VIRUS";
  action = "reject";
  servers = "\${CLAMD}";
  prefix = "\${PREFIX}rs_clamav_";
  timeout = 10s;
}
clamav_dead {
  type = "clamav";
  scan_mime_parts = true;
  symbol = "DEAD_VIRUS";
  servers = "127.0.0.1:1";
  prefix = "\${PREFIX}rs_dead_";
  timeout = 2s;
  retransmits = 0;
}
`;

let fleet: FleetUnderTest;
let producer: { text: string; parsed: PromScrape };
let worker: { text: string; parsed: PromScrape };
const scanIds: string[] = [];

beforeAll(async () => {
  fleet = await startFleetUnderTest({ testFile: __filename, conf: CONF, env: { AVFLEET_ARCHIVE_MAX_DEPTH: '1' } });
  const messages = [
    sample('01-clean-text.eml'), // no attachment: both rules skip it (no_parts)
    sample('03-eicar-attachment.eml'),
    sample('03-eicar-attachment.eml'), // same attachment again: a verdict-cache hit
    sample('04-eicar-in-zip.eml'),
    corpusMessage('avfleet-generated/filename_filter_zip_in_gz.eml', generatedCorpus()).raw(), // gz > zip > txt: deeper than AVFLEET_ARCHIVE_MAX_DEPTH=1
  ];
  for (const m of messages) {
    const r = await fleet.scan(m, { 'Queue-Id': 'Q-metrics' });
    expect(r.status).toBe(200);
    scanIds.push(String(r.body.id));
  }
  await fetch(`${fleet.producerUrl}/scans/unknown-id`);
  const [p, w] = await Promise.all([scrape(`${fleet.producerUrl}/metrics`), scrape(`${fleet.workerOpsUrl}/metrics`)]);
  producer = { text: p, parsed: parsePromText(p) };
  worker = { text: w, parsed: parsePromText(w) };
}, 120_000);

afterAll(async () => {
  await fleet?.close();
});

function promtool(text: string): { status: number | null; output: string } {
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run ${PROMTOOL} (${r.error.message}): install Debian's prometheus package or set PROMTOOL`);
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

describe('promtool check metrics', () => {
  it('finds nothing to complain about in the producer scrape', () => {
    expect(promtool(producer.text)).toEqual({ status: 0, output: '' });
  });

  it('finds nothing to complain about in the worker scrape', () => {
    expect(promtool(worker.text)).toEqual({ status: 0, output: '' });
  });

  it('would complain about a gauge ending in _total (the check is live)', () => {
    const bad = '# HELP x_total a gauge\n# TYPE x_total gauge\nx_total 1\n';
    expect(promtool(bad).output).toMatch(/non-counter metrics should not have "_total" suffix/);
  });
});

describe('what the scans left in the metrics', () => {
  // Cache hits can be answered by the producer without a flow (the fast path), so the
  // per-verdict and per-message series are the sum over both processes.
  const fleetSum = (name: string, labels?: Record<string, string>): number =>
    sampleSum(worker.parsed, name, labels) + sampleSum(producer.parsed, name, labels);

  it('fleet: verdicts by rule, skipped rules, cache hits, bytes and durations', () => {
    const w = worker.parsed;
    expect(fleetSum('avfleet_scans_total', { rule: 'clamav', verdict: 'virus' })).toBeGreaterThanOrEqual(3);
    expect(fleetSum('avfleet_scans_total', { rule: 'clamav', verdict: 'skipped' })).toBe(1);
    expect(fleetSum('avfleet_scans_total', { rule: 'clamav_dead', verdict: 'fail' })).toBeGreaterThanOrEqual(3);
    expect(fleetSum('avfleet_cache_lookups_total', { rule: 'clamav', result: 'hit' })).toBeGreaterThanOrEqual(1);
    expect(fleetSum('avfleet_cache_lookups_total', { rule: 'clamav', result: 'miss' })).toBeGreaterThanOrEqual(2);
    expect(sampleSum(w, 'avfleet_scanned_bytes_total', { rule: 'clamav' })).toBeGreaterThan(68);
    expect(fleetSum('avfleet_scan_duration_seconds_count', { rule: 'clamav' })).toBeGreaterThanOrEqual(4);
    expect(hasSample(w, 'avfleet_scan_duration_seconds_bucket', { rule: 'clamav', le: '0.001' })).toBe(true);
    expect(hasSample(w, 'avfleet_scan_duration_seconds_bucket', { rule: 'clamav', le: '60' })).toBe(true);
  });

  it('fleet: messages by action and end-to-end latency, each message counted once', () => {
    expect(fleetSum('avfleet_messages_scanned_total', { action: 'reject' })).toBe(3);
    expect(fleetSum('avfleet_messages_scanned_total')).toBe(5);
    expect(fleetSum('avfleet_message_latency_seconds_count')).toBe(5);
    // Redis bytes per scan: one observation per finished scan, each at least its stored result.
    expect(fleetSum('avfleet_scan_redis_bytes_count')).toBe(5);
    expect(fleetSum('avfleet_scan_redis_bytes_sum')).toBeGreaterThan(5 * 200);
  });

  it('worker: upstream errors by server, servers down per rule, queue depths by queue and state', () => {
    const w = worker.parsed;
    expect(sampleSum(w, 'avfleet_upstream_errors_total', { rule: 'clamav_dead', server: '127.0.0.1:1' })).toBeGreaterThanOrEqual(1);
    expect(sampleSum(w, 'avfleet_upstream_errors_total', { rule: 'clamav' })).toBe(0);
    expect(hasSample(w, 'avfleet_upstream_servers_down', { rule: 'clamav' })).toBe(true);
    expect(hasSample(w, 'avfleet_upstream_servers_down', { rule: 'clamav_dead' })).toBe(true);
    for (const queue of ['aggregate', 'clamav', 'clamav_dead']) {
      for (const state of ['waiting', 'active', 'delayed', 'failed']) expect(hasSample(w, 'avfleet_queue_jobs', { queue, state })).toBe(true);
    }
    expect(w.types.get('avfleet_jobs_stalled_total')).toBe('counter');
  });

  it('worker: configured servers per rule, oldest waiting job per queue, Redis memory and policy by node (no cluster series on one Redis)', () => {
    const w = worker.parsed;
    expect(sampleSum(w, 'avfleet_upstream_servers', { rule: 'clamav' })).toBe(1);
    for (const queue of ['aggregate', 'clamav', 'clamav_dead']) expect(hasSample(w, 'avfleet_queue_oldest_waiting_seconds', { queue })).toBe(true);
    const used = w.samples.filter((x) => x.name === 'avfleet_redis_memory_used_bytes');
    expect(used).toHaveLength(1);
    expect(used[0]!.labels.node).toMatch(/^[\w.-]+:\d+$/);
    expect(used[0]!.value).toBeGreaterThan(100_000);
    expect(hasSample(w, 'avfleet_redis_memory_max_bytes', { node: used[0]!.labels.node! })).toBe(true);
    expect(sampleSum(w, 'avfleet_redis_maxmemory_policy_info', { node: used[0]!.labels.node!, policy: 'noeviction' })).toBe(1);
    expect(hasSample(w, 'avfleet_redis_cluster_state_ok')).toBe(false);
  });

  it('producer: HTTP requests by route and status, archive-limit hits, memo lookups; no worker-only series', () => {
    const p = producer.parsed;
    expect(sampleSum(p, 'avfleet_http_requests_total', { route: 'post_scans', status: '200' })).toBe(5);
    expect(sampleSum(p, 'avfleet_http_requests_total', { route: 'get_scan', status: '404' })).toBe(1);
    expect(sampleSum(p, 'avfleet_archive_limit_hits_total')).toBeGreaterThanOrEqual(1);
    // Every base64 attachment of the five messages was looked up in the decoded-facts memo.
    expect(sampleSum(p, 'avfleet_attachment_memo_lookups_total')).toBeGreaterThanOrEqual(1);
    expect(hasSample(worker.parsed, 'avfleet_attachment_memo_lookups_total')).toBe(false);
    expect(hasSample(p, 'avfleet_queue_jobs')).toBe(false);
  });

  it('both: connected to Redis', () => {
    expect(sampleSum(producer.parsed, 'avfleet_redis_connected')).toBe(1);
    expect(sampleSum(worker.parsed, 'avfleet_redis_connected')).toBe(1);
  });

  it('both: default process metrics under avfleet_, without the _total gauges', () => {
    for (const s of [producer.parsed, worker.parsed]) {
      expect(s.types.get('avfleet_process_cpu_seconds_total')).toBe('counter');
      expect(s.types.get('avfleet_process_resident_memory_bytes')).toBe('gauge');
      expect(s.types.has('avfleet_nodejs_active_handles')).toBe(true);
      expect(s.types.has('avfleet_nodejs_active_handles_total')).toBe(false);
      for (const name of s.types.keys()) expect(name.startsWith('avfleet_')).toBe(true);
    }
  });

  it('no label value is a scan id, a file name or a virus name', () => {
    const values = [...producer.parsed.samples, ...worker.parsed.samples].flatMap((s) => Object.values(s.labels));
    expect(scanIds).toHaveLength(5);
    for (const v of values) {
      for (const id of scanIds) expect(v).not.toContain(id);
      expect(v).not.toMatch(/eicar|\.zip|\.com|\.gz|Q-metrics/i);
    }
  });
});
