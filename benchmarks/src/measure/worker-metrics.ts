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

/** Scrapes every worker's /metrics (counters since the process started: one pass per fleet). */
export async function scrapeWorkerMetrics(urls: readonly string[]): Promise<WorkerMetrics | null> {
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
    const count = sum('avfleet_scan_duration_seconds_count');
    const seconds = sum('avfleet_scan_duration_seconds_sum');
    return {
      scans: count,
      meanScanMs: count > 0 ? Math.round((seconds / count) * 10000) / 10 : null,
      cacheHits: sum('avfleet_cache_lookups_total', 'result="hit"'),
      cacheMisses: sum('avfleet_cache_lookups_total', 'result="miss"'),
    };
  } catch {
    return null;
  }
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
