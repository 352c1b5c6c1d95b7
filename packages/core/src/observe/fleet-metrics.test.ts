import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { randomBytes } from 'node:crypto';
import { DECODED_FACTS_MEMO } from '../mime/decoded-facts-memo';
import { splitMessage } from '../mime/split-message';
import { OMITTED_DEFAULT_METRICS } from './default-metrics';
import { createFleetMetrics } from './fleet-metrics';

describe('createFleetMetrics', () => {
  it('names every metric under avfleet_, with _total exactly on counters', async () => {
    const registry = new Registry();
    createFleetMetrics(registry);
    const metrics = await registry.getMetricsAsJSON();
    expect(metrics.length).toBeGreaterThan(20);
    for (const m of metrics) {
      expect(m.name.startsWith('avfleet_')).toBe(true);
      expect({ name: m.name, counterSuffix: m.name.endsWith('_total') }).toEqual({ name: m.name, counterSuffix: String(m.type) === 'counter' });
    }
  });

  it('leaves out the default gauges named _total, keeps the rest of the process metrics', async () => {
    const registry = new Registry();
    createFleetMetrics(registry);
    for (const name of OMITTED_DEFAULT_METRICS) expect(registry.getSingleMetric(name)).toBeUndefined();
    expect(registry.getSingleMetric('avfleet_nodejs_active_handles')).toBeDefined();
    expect(registry.getSingleMetric('avfleet_process_cpu_seconds_total')).toBeDefined();
  });

  it('reports the decoded-facts memo\'s lookups as they happen, at every scrape', async () => {
    const registry = new Registry();
    const metrics = createFleetMetrics(registry, { defaultMetrics: false });
    const untracked = new Registry();
    createFleetMetrics(untracked, { defaultMetrics: false });
    metrics.trackAttachmentMemo(DECODED_FACTS_MEMO);
    const count = async (result: string): Promise<number> =>
      (await registry.getSingleMetric('avfleet_attachment_memo_lookups_total')!.get()).values.find((v) => v.labels.result === result)?.value ?? 0;
    const [hits0, misses0] = [await count('hit'), await count('miss')];
    const b64 = randomBytes(3000).toString('base64').replace(/.{76}/g, '$&\r\n');
    const raw = Buffer.from(['Content-Type: application/octet-stream; name="x.bin"', 'Content-Transfer-Encoding: base64', '', b64, ''].join('\r\n'));
    await splitMessage(raw);
    expect([await count('hit') - hits0, await count('miss') - misses0]).toEqual([0, 1]);
    await splitMessage(raw);
    await splitMessage(raw);
    expect([await count('hit') - hits0, await count('miss') - misses0]).toEqual([2, 1]);
    // A registry that tracks no memo (a worker's) has no samples.
    expect((await untracked.getSingleMetric('avfleet_attachment_memo_lookups_total')!.get()).values).toEqual([]);
  });

  it('can leave out the default metrics altogether', async () => {
    const registry = new Registry();
    createFleetMetrics(registry, { defaultMetrics: false });
    expect(registry.getSingleMetric('avfleet_process_cpu_seconds_total')).toBeUndefined();
    expect(registry.getSingleMetric('avfleet_scans_total')).toBeDefined();
  });

  it('reads servers down from every tracked source at scrape time', async () => {
    const registry = new Registry();
    const m = createFleetMetrics(registry, { defaultMetrics: false });
    let down = 1;
    m.trackServersDown(() => [['clamav', down], ['sophos', 0]]);
    expect(await registry.getSingleMetricAsString('avfleet_upstream_servers_down')).toMatch(/avfleet_upstream_servers_down\{rule="clamav"\} 1\n/);
    down = 0;
    const text = await registry.getSingleMetricAsString('avfleet_upstream_servers_down');
    expect(text).toMatch(/\{rule="clamav"\} 0\n/);
    expect(text).toMatch(/\{rule="sophos"\} 0/);
  });

  it('keeps separate registries apart (producer and worker in one process)', () => {
    expect(() => {
      createFleetMetrics(new Registry());
      createFleetMetrics(new Registry());
    }).not.toThrow();
  });

  it('are all documented in docs/metrics.md (name and type)', async () => {
    const registry = new Registry();
    createFleetMetrics(registry);
    const doc = readFileSync(join(__dirname, '../../../../docs/metrics.md'), 'utf8');
    for (const m of await registry.getMetricsAsJSON()) {
      if (!m.name.startsWith('avfleet_process_') && !m.name.startsWith('avfleet_nodejs_')) {
        expect({ name: m.name, documented: doc.includes(`| \`${m.name}\` | ${String(m.type)} |`) }).toEqual({ name: m.name, documented: true });
      }
    }
  });
});
