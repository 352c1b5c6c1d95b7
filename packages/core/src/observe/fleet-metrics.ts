import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';

/** Scan duration buckets: 1 ms … 60 s. */
export const SCAN_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Typed handles for every metric avfleet exports (all under `avfleet_`). Label values are bounded: never a file name, virus name or scan id. */
export interface FleetMetrics {
  readonly registry: Registry;
  readonly messagesScanned: Counter<'action'>;
  readonly scans: Counter<'rule' | 'verdict'>;
  readonly cacheLookups: Counter<'rule' | 'result'>;
  readonly scanDuration: Histogram<'rule'>;
  readonly messageLatency: Histogram<string>;
  readonly scannedBytes: Counter<'rule'>;
  readonly upstreamErrors: Counter<'rule' | 'server'>;
  readonly serversDown: Gauge<'rule'>;
  readonly queueJobs: Gauge<'queue' | 'state'>;
  readonly jobsStalled: Counter<'queue'>;
  readonly archiveLimitHits: Counter<'limit'>;
  readonly httpRequests: Counter<'route' | 'status'>;
  readonly rejectedRequests: Counter<'reason'>;
}

export function createFleetMetrics(registry: Registry, opts: { defaultMetrics?: boolean } = {}): FleetMetrics {
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'avfleet_' });
  const r = [registry];
  return {
    registry,
    messagesScanned: new Counter({ name: 'avfleet_messages_scanned_total', help: 'Messages whose scan finished, by final action.', labelNames: ['action'], registers: r }),
    scans: new Counter({ name: 'avfleet_scans_total', help: 'Scans of one body by one rule, by verdict (clean, virus, encrypted, macro, category, fail, skipped).', labelNames: ['rule', 'verdict'], registers: r }),
    cacheLookups: new Counter({ name: 'avfleet_cache_lookups_total', help: 'Verdict cache lookups by rule and result (hit, miss).', labelNames: ['rule', 'result'], registers: r }),
    scanDuration: new Histogram({ name: 'avfleet_scan_duration_seconds', help: 'Time to obtain one verdict (cache or scanner), by rule.', labelNames: ['rule'], buckets: SCAN_DURATION_BUCKETS, registers: r }),
    messageLatency: new Histogram({ name: 'avfleet_message_latency_seconds', help: 'End-to-end time from accepting a message to its stored result.', buckets: SCAN_DURATION_BUCKETS, registers: r }),
    scannedBytes: new Counter({ name: 'avfleet_scanned_bytes_total', help: 'Bytes sent to scanners, by rule.', labelNames: ['rule'], registers: r }),
    upstreamErrors: new Counter({ name: 'avfleet_upstream_errors_total', help: 'Failed attempts to talk to a scanner server, by rule and server.', labelNames: ['rule', 'server'], registers: r }),
    serversDown: new Gauge({ name: 'avfleet_upstream_servers_down', help: 'Scanner servers currently marked down, by rule.', labelNames: ['rule'], registers: r }),
    queueJobs: new Gauge({ name: 'avfleet_queue_jobs', help: 'Jobs in a queue by state (waiting, active, delayed, failed), sampled from BullMQ.', labelNames: ['queue', 'state'], registers: r }),
    jobsStalled: new Counter({ name: 'avfleet_jobs_stalled_total', help: 'Jobs moved back to waiting after their worker stalled or died.', labelNames: ['queue'], registers: r }),
    archiveLimitHits: new Counter({ name: 'avfleet_archive_limit_hits_total', help: 'Archive listings cut short by a limit (depth, members, bytes, ratio).', labelNames: ['limit'], registers: r }),
    httpRequests: new Counter({ name: 'avfleet_http_requests_total', help: 'HTTP requests by route and status code.', labelNames: ['route', 'status'], registers: r }),
    rejectedRequests: new Counter({ name: 'avfleet_rejected_requests_total', help: 'Scan requests refused before enqueueing, by reason.', labelNames: ['reason'], registers: r }),
  };
}
