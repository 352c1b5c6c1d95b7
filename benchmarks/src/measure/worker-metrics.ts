/** What the workers' own /metrics say about one pass (summed over workers). */
export interface WorkerMetrics {
  scans: number;
  /** Mean time inside the scanner call (avfleet_scan_duration_seconds). */
  meanScanMs: number | null;
  cacheHits: number;
  cacheMisses: number;
}

/** Sums the samples of `name` (any labels) in Prometheus text. */
export function sumMetric(text: string, name: string, labelFilter?: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (labelFilter && !rest.includes(labelFilter)) continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(v)) total += v;
  }
  return total;
}

/** The workers' counters at one moment, summed over workers. */
export interface WorkerCounters {
  scans: number;
  scanSeconds: number;
  cacheHits: number;
  cacheMisses: number;
}

export const NO_WORKER_COUNTS: WorkerCounters = { scans: 0, scanSeconds: 0, cacheHits: 0, cacheMisses: 0 };

/** Scrapes every worker's /metrics (counters since the process started); null when one does not answer. */
export async function scrapeWorkerCounters(urls: readonly string[]): Promise<WorkerCounters | null> {
  const get = async (u: string): Promise<string> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await (await fetch(u, { signal: AbortSignal.timeout(15000) })).text();
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
  };
  try {
    const texts = await Promise.all(urls.map(get));
    const sum = (name: string, filter?: string): number => texts.reduce((s, t) => s + sumMetric(t, name, filter), 0);
    return {
      scans: sum('avfleet_scan_duration_seconds_count'),
      scanSeconds: sum('avfleet_scan_duration_seconds_sum'),
      cacheHits: sum('avfleet_cache_lookups_total', 'result="hit"'),
      cacheMisses: sum('avfleet_cache_lookups_total', 'result="miss"'),
    };
  } catch {
    return null;
  }
}

/** What the workers did between two scrapes (one pass through a fleet that may have run others before). */
export function workerMetricsBetween(before: WorkerCounters | null, after: WorkerCounters | null): WorkerMetrics | null {
  if (!before || !after) return null;
  const scans = after.scans - before.scans;
  const seconds = after.scanSeconds - before.scanSeconds;
  return {
    scans,
    meanScanMs: scans > 0 ? Math.round((seconds / scans) * 10000) / 10 : null,
    cacheHits: after.cacheHits - before.cacheHits,
    cacheMisses: after.cacheMisses - before.cacheMisses,
  };
}

/** A Node process's heap and off-heap (Buffer) memory from its /metrics (prom-client default metrics). */
export interface NodeMemory {
  heapUsedBytes: number;
  /** Memory of Buffers and other objects outside the V8 heap (`nodejs_external_memory_bytes`). */
  externalBytes: number;
}

/** Scrapes `avfleet_nodejs_heap_size_used_bytes` and `…_external_memory_bytes`; null when /metrics does not answer. */
export async function scrapeNodeMemory(url: string): Promise<NodeMemory | null> {
  try {
    const text = await (await fetch(url, { signal: AbortSignal.timeout(5000) })).text();
    return { heapUsedBytes: sumMetric(text, 'avfleet_nodejs_heap_size_used_bytes'), externalBytes: sumMetric(text, 'avfleet_nodejs_external_memory_bytes') };
  } catch {
    return null;
  }
}
