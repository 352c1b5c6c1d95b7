import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../helpers/repo-root';

/**
 * The alerting rules of deploy/prometheus/alerts.yml: `promtool test rules` runs their unit
 * tests (series in, alert out), every alert has a case where it fires and one where it must
 * not, a runbook section in docs/runbook.md, and only metrics docs/metrics.md lists; the
 * compose Prometheus loads them.
 */

const PROMTOOL = process.env.PROMTOOL ?? 'promtool';
const root = repoRoot();
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

interface AlertRule { alert: string; expr: string; annotations: Record<string, string> }
interface AlertTest { alertname: string; exp_alerts?: unknown[] }
const rules = (parse(read('deploy/prometheus/alerts.yml')) as { groups: { rules: AlertRule[] }[] }).groups.flatMap((g) => g.rules);
const tests = (parse(read('deploy/prometheus/alerts.test.yml')) as { tests: { alert_rule_test?: AlertTest[] }[] }).tests.flatMap((t) => t.alert_rule_test ?? []);

function promtool(...args: string[]): { status: number | null; output: string } {
  const r = spawnSync(PROMTOOL, args, { cwd: root, encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run ${PROMTOOL} (${r.error.message}): install Debian's prometheus package or set PROMTOOL`);
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

describe('deploy/prometheus/alerts.yml', () => {
  it('passes its promtool unit tests', () => {
    const r = promtool('test', 'rules', 'deploy/prometheus/alerts.test.yml');
    expect(r).toMatchObject({ status: 0 });
    expect(r.output).toMatch(/SUCCESS/);
  });

  it('would fail a unit test whose alert does not fire as expected (the test is live)', () => {
    // The clamav queue's backlog cut to 60 waiting jobs: the case expecting AvfleetQueueBacklog fails, nothing else.
    const wrong = read('deploy/prometheus/alerts.test.yml')
      .replace('rule_files: [alerts.yml]', `rule_files: [${JSON.stringify(join(root, 'deploy/prometheus/alerts.yml'))}]`)
      .replace('values: \'6000x10\'', 'values: \'60x10\'')
      .replace('values: \'6000x10\'', 'values: \'60x10\'');
    const dir = mkdtempSync(join(tmpdir(), 'avft-alerts-'));
    try {
      writeFileSync(join(dir, 'alerts.test.yml'), wrong);
      const r = promtool('test', 'rules', join(dir, 'alerts.test.yml'));
      expect(r.status).not.toBe(0);
      expect(r.output.match(/alertname: \w+/g)).toEqual(['alertname: AvfleetQueueBacklog']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('covers the alerts an on-call needs', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual([
      'AvfleetNoWorkerUp', 'AvfleetQuarantineNotKeeping', 'AvfleetQueueBacklog', 'AvfleetQueueDepthsMissing', 'AvfleetQueueOldestJobWaiting', 'AvfleetRedisClusterMasterLost',
      'AvfleetRedisClusterStateNotOk', 'AvfleetRedisConnectionLost', 'AvfleetRedisEvictionPolicy', 'AvfleetRedisMemoryAtLimit',
      'AvfleetRedisMemoryNearLimit', 'AvfleetResultsPastDeadline', 'AvfleetRuleServersAllDown', 'AvfleetScanFailRateHigh', 'AvfleetTargetDown', 'AvfleetWebhookNotDelivered',
    ]);
  });

  it.each(rules.map((r) => [r.alert, r] as const))('%s: tested firing and not firing, with a runbook section', (name, rule) => {
    const own = tests.filter((t) => t.alertname === name);
    expect(own.some((t) => (t.exp_alerts ?? []).length > 0)).toBe(true);
    expect(own.some((t) => (t.exp_alerts ?? []).length === 0)).toBe(true);
    expect(rule.annotations.runbook).toBe(`docs/runbook.md#${name.toLowerCase()}`);
    expect(read('docs/runbook.md')).toContain(`\n## ${name}\n`);
  });

  it('names only metrics docs/metrics.md documents (and Prometheus\'s up)', () => {
    const metricsDoc = read('docs/metrics.md');
    const names = new Set(rules.flatMap((r) => r.expr.match(/\b(avfleet_[a-z_]+|up)\b/g) ?? []));
    for (const name of names) {
      if (name !== 'up') expect({ name, documented: metricsDoc.includes(`\`${name}\``) }).toEqual({ name, documented: true });
    }
  });

  it('is loaded by the compose Prometheus: rule_files beside prometheus.yml, mounted there', () => {
    const prom = parse(read('deploy/prometheus/prometheus.yml')) as { rule_files?: string[] };
    expect(prom.rule_files).toEqual(['alerts.yml']);
    const compose = parse(read('docker-compose.yml')) as { services: { prometheus: { volumes: string[] } } };
    expect(compose.services.prometheus.volumes).toEqual(expect.arrayContaining([
      './deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
      './deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro',
    ]));
    expect(promtool('check', 'config', 'deploy/prometheus/prometheus.yml').output).toMatch(/SUCCESS: 1 rule files found/);
  });
});
