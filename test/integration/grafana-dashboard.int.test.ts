import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scrape, startFleetUnderTest, type FleetUnderTest } from '../helpers/fleet-under-test';
import { parsePromText, queryableNames } from '../helpers/prometheus-text';
import { repoRoot } from '../helpers/repo-root';

/**
 * deploy/grafana/dashboards/avfleet.json: every PromQL expression parses
 * (promtool check rules) and names only metrics that a real producer and
 * worker expose; the panels the operators need are there.
 */

interface Target { expr?: string }
interface Panel { title: string; type: string; targets?: Target[]; panels?: Panel[] }
interface Dashboard { uid: string; title: string; panels: Panel[] }

const dashboard = JSON.parse(readFileSync(join(repoRoot(), 'deploy/grafana/dashboards/avfleet.json'), 'utf8')) as Dashboard;
const allPanels = (ps: readonly Panel[]): Panel[] => ps.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
const panels = allPanels(dashboard.panels);
const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr ?? '' })));
/** Grafana's own variables, replaced by what Grafana would put there. */
const concrete = (expr: string): string => expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '5m');
/** Metric names in an expression: identifiers starting with avfleet_ (label names and functions never do). */
const metricNames = (expr: string): string[] => [...new Set(expr.match(/\bavfleet_[a-zA-Z0-9_]+/g) ?? [])];

const CONF = `
clamav {
  scan_mime_parts = true;
  symbol = "CLAM_VIRUS";
  action = "reject";
  servers = "\${CLAMD}";
  prefix = "\${PREFIX}rs_clamav_";
}
`;

let fleet: FleetUnderTest;
let exposed: Set<string>;

beforeAll(async () => {
  fleet = await startFleetUnderTest({ testFile: __filename, conf: CONF });
  const r = await fleet.scan(readFileSync(join(repoRoot(), 'examples', 'samples', '03-eicar-attachment.eml')));
  expect(r.status).toBe(200);
  const [p, w] = await Promise.all([scrape(`${fleet.producerUrl}/metrics`), scrape(`${fleet.workerOpsUrl}/metrics`)]);
  exposed = new Set([...queryableNames(parsePromText(p)), ...queryableNames(parsePromText(w))]);
}, 120_000);

afterAll(async () => {
  await fleet?.close();
});

describe('Grafana dashboard', () => {
  it('has expressions on every graph and stat panel', () => {
    expect(exprs.length).toBeGreaterThan(10);
    for (const p of panels.filter((x) => x.type !== 'row')) expect({ panel: p.title, targets: (p.targets ?? []).length > 0 }).toEqual({ panel: p.title, targets: true });
    for (const e of exprs) expect({ panel: e.panel, names: metricNames(e.expr).length > 0 }).toEqual({ panel: e.panel, names: true });
  });

  it('names only metrics a running producer and worker expose', () => {
    const unknown = exprs.flatMap((e) => metricNames(e.expr).filter((n) => !exposed.has(n)).map((n) => `${e.panel}: ${n}`));
    expect(unknown).toEqual([]);
  });

  it('would notice a metric nobody exposes (the check is live)', () => {
    expect(exposed.has('avfleet_scans_total')).toBe(true);
    expect(exposed.has('avfleet_scan_duration_seconds_bucket')).toBe(true);
    expect(exposed.has('avfleet_scans_totl')).toBe(false);
  });

  it('has valid PromQL everywhere (promtool check rules on the expressions as recording rules)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'avfleet-dash-'));
    try {
      const rules = exprs.map((e, i) => `      - record: avfleet:dashboard_check:${i}\n        expr: ${JSON.stringify(concrete(e.expr))}`).join('\n');
      const file = join(dir, 'rules.yml');
      writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules}\n`);
      const r = spawnSync(process.env.PROMTOOL ?? 'promtool', ['check', 'rules', file], { encoding: 'utf8' });
      if (r.error) throw new Error(`cannot run promtool (${r.error.message}): install Debian's prometheus package or set PROMTOOL`);
      expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: expect.stringContaining(`SUCCESS: ${exprs.length} rules found`) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shows what operators asked for: throughput by action, scan latency quantiles per rule, cache hit ratio, queue depths, failures, servers down, bytes/s', () => {
    const all = exprs.map((e) => e.expr);
    const some = (re: RegExp): boolean => all.some((x) => re.test(x));
    expect(some(/sum by \(action\) \(rate\(avfleet_messages_scanned_total/)).toBe(true);
    for (const q of ['0.5', '0.95', '0.99']) {
      expect(some(new RegExp(`histogram_quantile\\(${q.replace('.', '\\.')}, sum by \\(rule, le\\) \\(rate\\(avfleet_scan_duration_seconds_bucket`))).toBe(true);
    }
    expect(some(/avfleet_cache_lookups_total\{result="hit"\}.*\/.*avfleet_cache_lookups_total/)).toBe(true);
    expect(some(/avfleet_queue_jobs/)).toBe(true);
    expect(some(/avfleet_scans_total\{verdict="fail"\}/)).toBe(true);
    expect(some(/avfleet_upstream_servers_down/)).toBe(true);
    expect(some(/rate\(avfleet_scanned_bytes_total/)).toBe(true);
  });

  it('shows the quarantine, the retro-scan and its webhook: entries and bytes, kept and not kept, releases, retro detections by rule, the retro-<rule> queues, webhook deliveries by outcome', () => {
    const all = exprs.map((e) => e.expr);
    const some = (re: RegExp): boolean => all.some((x) => re.test(x));
    expect(some(/avfleet_quarantine_entries/)).toBe(true);
    expect(some(/avfleet_quarantine_bytes/)).toBe(true);
    expect(some(/sum by \(outcome\) \(rate\(avfleet_quarantine_writes_total/)).toBe(true);
    expect(some(/avfleet_quarantine_releases_total/)).toBe(true);
    expect(some(/sum by \(rule\) \(rate\(avfleet_retro_detections_total/)).toBe(true);
    expect(some(/avfleet_queue_jobs\{queue=~"retro-\.\+"/)).toBe(true);
    expect(some(/sum by \(outcome\) \(increase\(avfleet_webhook_deliveries_total/)).toBe(true);
    expect(some(/avfleet_queue_jobs\{queue="webhook"/)).toBe(true);
  });
});
