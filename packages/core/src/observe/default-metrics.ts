import { collectDefaultMetrics, type Registry } from 'prom-client';

/** Prefix of every metric avfleet exports, prom-client's default process metrics included. */
export const METRIC_PREFIX = 'avfleet_';

/**
 * prom-client default metrics that break Prometheus' naming conventions: gauges
 * whose names end in `_total` (promtool: "non-counter metrics should not have
 * _total suffix"). They are left out; each is the sum over the `type` label of
 * the gauge of the same name without `_total`, which stays
 * (e.g. `sum(avfleet_nodejs_active_handles)`).
 */
export const OMITTED_DEFAULT_METRICS: readonly string[] = [
  `${METRIC_PREFIX}nodejs_active_handles_total`,
  `${METRIC_PREFIX}nodejs_active_requests_total`,
  `${METRIC_PREFIX}nodejs_active_resources_total`,
];

/**
 * How often the event-loop lag is sampled (prom-client's default is 10 ms). Each sample
 * still measures the lag in full; 10 samples a second are plenty for the percentiles,
 * and a 10 ms timer wakes every idle worker 100 times a second (≈ 3–4 ms CPU/s each).
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

/**
 * prom-client's default process metrics (CPU, memory, file descriptors, event
 * loop lag, GC, heap) under `avfleet_`, minus OMITTED_DEFAULT_METRICS, so that
 * `promtool check metrics` has nothing to say about a scrape (docs/interfaces.md §6.5).
 */
export function collectConventionalDefaultMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  for (const name of OMITTED_DEFAULT_METRICS) {
    if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
  }
}
