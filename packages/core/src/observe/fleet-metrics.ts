import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DecodedFactsMemo } from '../mime/decoded-facts-memo';
import { collectConventionalDefaultMetrics } from './default-metrics';

/** Scan duration buckets: 1 ms … 60 s. */
export const SCAN_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** End-to-end message latency buckets: 5 ms … 5 min (a message waits in queues, and its deadline may be long). */
export const MESSAGE_LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** Redis bytes per scan buckets: 1 KiB … 16 MiB. */
export const SCAN_REDIS_BYTES_BUCKETS = [1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216];

/** Values of the `verdict` label of avfleet_scans_total: the verdict kinds plus `skipped` (the rule did not scan the message). */
export const SCAN_VERDICT_LABELS = ['clean', 'virus', 'encrypted', 'macro', 'category', 'fail', 'skipped'] as const;

/** Values of the `limit` label of avfleet_archive_limit_hits_total. */
export const ARCHIVE_LIMIT_LABELS = ['depth', 'members', 'bytes', 'ratio', 'corrupt'] as const;

/** Queue states sampled into avfleet_queue_jobs. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/** `outcome` of avfleet_store_prune_runs_total. */
export const STORE_PRUNE_OUTCOMES = ['complete', 'cut_short', 'failed'] as const;

/** `outcome` of avfleet_quarantine_writes_total: kept, already (a re-run of the same scan), full (a bound reached), failed (store or Redis error). */
export const QUARANTINE_WRITE_OUTCOMES = ['kept', 'already', 'full', 'failed'] as const;

/**
 * `outcome` of avfleet_webhook_deliveries_total (notify/): once per event `delivered` (a 2xx), `rejected` (a 3xx or a
 * 4xx other than 408/429: not retried), `exhausted` (every attempt failed) or `dropped` (the outbox was full, never
 * queued); `retried` once per failed attempt that will be tried again.
 */
export const WEBHOOK_OUTCOMES = ['delivered', 'retried', 'rejected', 'exhausted', 'dropped'] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];
/** `outcome` of avfleet_retro_remembered_total: added (a new part), carrier (one more scan of a known part), full (a bound reached), failed (Redis error). */
export const RETRO_REMEMBER_OUTCOMES = ['added', 'carrier', 'full', 'failed'] as const;

/** Where avfleet_upstream_servers_down is read at scrape time: `[rule, servers marked down]` pairs. */
export type ServersDownSource = () => Iterable<readonly [rule: string, down: number]>;

/** Typed handles for every metric avfleet exports (all under `avfleet_`). Label values are bounded: never a file name, virus name or scan id. */
export interface FleetMetrics {
  readonly registry: Registry;
  /** `action`: the final action (`reject`, `soft reject`, `add header`, `greylist`, `no action`, …). */
  readonly messagesScanned: Counter<'action'>;
  /** `verdict`: one of SCAN_VERDICT_LABELS. */
  readonly scans: Counter<'rule' | 'verdict'>;
  /** `result`: `hit` or `miss`. */
  readonly cacheLookups: Counter<'rule' | 'result'>;
  readonly scanDuration: Histogram<'rule'>;
  readonly messageLatency: Histogram<string>;
  readonly scannedBytes: Counter<'rule'>;
  /** Serialized bytes a finished scan kept in Redis: its result plus its aggregation job's data and children's results. */
  readonly scanRedisBytes: Histogram<string>;
  /** `server`: a configured server address (`host:port` or a socket path), a bounded set. */
  readonly upstreamErrors: Counter<'rule' | 'server'>;
  /** Set at scrape time from the sources given to trackServersDown. */
  readonly serversDown: Gauge<'rule'>;
  /** `state`: one of QUEUE_STATES. Only the processes serving `aggregate` set it (docs/interfaces.md §6.5). */
  /** `lane`: the queue lane's number (queue/queue-lanes.ts, at most AVFLEET_QUEUE_LANES values). */
  readonly queueJobs: Gauge<'queue' | 'lane' | 'state'>;
  readonly jobsStalled: Counter<'queue' | 'lane'>;
  /** Age of the oldest job in `waiting` per queue and lane (0 when none waits); set with queueJobs. */
  readonly queueOldestWaiting: Gauge<'queue' | 'lane'>;
  /** Scanner servers configured for a rule (the denominator of serversDown). */
  readonly upstreamServers: Gauge<'rule'>;
  /** `answer`: `partial` (the result so far, unfinished rules as `deadline` fails) or `scan_id` (no result could be read). */
  readonly deadlinesMissed: Counter<'answer'>;
  /** `reason`: `state_lost` or `jobs_lost` (queue/reconcile-scans.ts). */
  readonly scansReenqueued: Counter<'reason'>;
  /** 1 while this process's Redis connection is ready, 0 while it is lost (watchRedisConnection). */
  readonly redisConnected: Gauge<string>;
  /** `node`: a Redis server's `host:port` (the configured one, or a cluster master's), a bounded set. */
  readonly redisMemoryUsed: Gauge<'node'>;
  /** Redis `maxmemory` (0: no limit). */
  readonly redisMemoryMax: Gauge<'node'>;
  /** 1 for the node's current `maxmemory-policy`. */
  readonly redisMaxmemoryPolicy: Gauge<'node' | 'policy'>;
  /** Cluster only: 1 when the node reports `cluster_state:ok`. */
  readonly redisClusterStateOk: Gauge<'node'>;
  /** Cluster only: masters that serve slots, by `state` (`ok`, or `fail` when flagged `fail` or `pfail`). */
  readonly redisClusterMasters: Gauge<'state'>;
  /** `limit`: one of ARCHIVE_LIMIT_LABELS (`corrupt` when a damaged archive, not a limit, cut the listing short). */
  readonly archiveLimitHits: Counter<'limit'>;
  /** `route`: a fixed route name, never the path (which holds the scan id). */
  readonly httpRequests: Counter<'route' | 'status'>;
  /** `reason`: `queue_full` (AVFLEET_MAX_WAITING) or `busy` (AVFLEET_MAX_INFLIGHT_BYTES). */
  readonly rejectedRequests: Counter<'reason'>;
  /** `kind`: `message` or `part`. Only the worker whose prune run removed them counts them. */
  readonly storePrunedObjects: Counter<'kind'>;
  readonly storePrunedBytes: Counter<string>;
  /** `outcome`: one of STORE_PRUNE_OUTCOMES. */
  readonly storePruneRuns: Counter<'outcome'>;
  /** Quarantined messages and their raw bytes (the quarantine's index), set when written, removed and at each expiry run. */
  readonly quarantineEntries: Gauge<string>;
  readonly quarantineBytes: Gauge<string>;
  /** `outcome`: one of QUARANTINE_WRITE_OUTCOMES. */
  readonly quarantineWrites: Counter<'outcome'>;
  /** `outcome`: `delivered` or `failed`. */
  readonly quarantineReleases: Counter<'outcome'>;
  /** `reason`: `deleted` (DELETE /quarantine/{id}) or `expired`. */
  readonly quarantineRemoved: Counter<'reason'>;
  /** `outcome`: one of WEBHOOK_OUTCOMES. */
  readonly webhookDeliveries: Counter<'outcome'>;
  /** Remembered (rule, part) pairs of the retro-scan and their Redis bytes, set when written and at each expiry run. */
  readonly retroRememberedParts: Gauge<string>;
  readonly retroRememberedBytes: Gauge<string>;
  /** `outcome`: one of RETRO_REMEMBER_OUTCOMES, per (rule, part) offered. */
  readonly retroRemembered: Counter<'outcome'>;
  /** Retro-scans started, by rule and trigger (`version`, `demand`). */
  readonly retroScans: Counter<'rule' | 'trigger'>;
  /** Parts scanned again by the retro-scan, by rule and verdict kind. */
  readonly retroPartsScanned: Counter<'rule' | 'verdict'>;
  /** Retro detections: parts scanned clean before and found infected now, by rule. */
  readonly retroDetections: Counter<'rule'>;
  /** Bytes of messages the producer holds while they arrive and until answered (InflightBudget). */
  readonly inflightBytes: Gauge<string>;
  /** `result`: `hit` or `miss`; read at scrape time from the memo given to trackAttachmentMemo (the producer's). */
  readonly attachmentMemoLookups: Counter<'result'>;
  /** Makes avfleet_attachment_memo_lookups_total follow `memo`'s totals (a producer passes DECODED_FACTS_MEMO). */
  trackAttachmentMemo(memo: Pick<DecodedFactsMemo, 'stats'>): void;
  /** Makes avfleet_upstream_servers_down report `source()` at every scrape (a worker passes its scanners' upstream health). */
  trackServersDown(source: ServersDownSource): void;
}

export interface FleetMetricsOptions {
  /** prom-client default process metrics (default true), minus the ones that break naming conventions. */
  readonly defaultMetrics?: boolean;
}

/** Creates every avfleet metric in `registry` (one registry per process role: producer and worker each have their own). */
export function createFleetMetrics(registry: Registry, opts: FleetMetricsOptions = {}): FleetMetrics {
  if (opts.defaultMetrics !== false) collectConventionalDefaultMetrics(registry);
  const r = [registry];
  const downSources: ServersDownSource[] = [];
  const memoSource: { memo: Pick<DecodedFactsMemo, 'stats'> | null } = { memo: null };
  const memoLookups = memoLookupsCounter(r, memoSource);
  const serversDown = new Gauge<'rule'>({
    name: 'avfleet_upstream_servers_down',
    help: 'Scanner servers currently down (out of rotation, or their last connection failed and none has succeeded since), by rule.',
    labelNames: ['rule'],
    registers: r,
    // Merging processes (a producer cluster's /metrics): every process sees the same servers; summing would count one server N times.
    aggregator: 'max',
    collect() {
      for (const source of downSources) {
        for (const [rule, down] of source()) this.set({ rule }, down);
      }
    },
  });
  return {
    registry,
    messagesScanned: new Counter({ name: 'avfleet_messages_scanned_total', help: 'Messages whose scan finished, by final action.', labelNames: ['action'], registers: r }),
    scans: new Counter({
      name: 'avfleet_scans_total',
      help: 'Verdicts of one rule on one body (or on a whole message it skipped), by verdict: clean, virus, encrypted, macro, category, fail, skipped.',
      labelNames: ['rule', 'verdict'],
      registers: r,
    }),
    cacheLookups: new Counter({ name: 'avfleet_cache_lookups_total', help: 'Verdict cache lookups by rule and result (hit, miss).', labelNames: ['rule', 'result'], registers: r }),
    scanDuration: new Histogram({
      name: 'avfleet_scan_duration_seconds',
      help: 'Time to obtain one verdict (from the cache or a scanner, retransmits included), by rule.',
      labelNames: ['rule'],
      buckets: SCAN_DURATION_BUCKETS,
      registers: r,
    }),
    messageLatency: new Histogram({
      name: 'avfleet_message_latency_seconds',
      help: 'End-to-end time from accepting a message to its stored result.',
      buckets: MESSAGE_LATENCY_BUCKETS,
      registers: r,
    }),
    scannedBytes: new Counter({ name: 'avfleet_scanned_bytes_total', help: 'Bytes sent to scanners (cache hits excluded), by rule.', labelNames: ['rule'], registers: r }),
    scanRedisBytes: new Histogram({
      name: 'avfleet_scan_redis_bytes',
      help: 'Serialized bytes one scan kept in Redis: the stored result plus its aggregation job data and the children results it read.',
      buckets: SCAN_REDIS_BYTES_BUCKETS,
      registers: r,
    }),
    upstreamErrors: new Counter({
      name: 'avfleet_upstream_errors_total',
      help: 'Failed attempts to talk to a scanner server (connect, read, write, timeout), by rule and server.',
      labelNames: ['rule', 'server'],
      registers: r,
    }),
    serversDown,
    // Every process samples the same BullMQ queues: merged (a producer cluster's /metrics) by max, not sum.
    queueJobs: new Gauge({ name: 'avfleet_queue_jobs', help: 'Jobs in a queue by lane and state (waiting, active, delayed, failed), sampled from BullMQ.', labelNames: ['queue', 'lane', 'state'], registers: r, aggregator: 'max' }),
    jobsStalled: new Counter({ name: 'avfleet_jobs_stalled_total', help: 'Jobs moved back to waiting (retried) after their worker stalled or died, by queue and lane.', labelNames: ['queue', 'lane'], registers: r }),
    queueOldestWaiting: new Gauge({
      name: 'avfleet_queue_oldest_waiting_seconds',
      help: 'Age of the oldest waiting job of a queue lane (0 when none waits), sampled with avfleet_queue_jobs.',
      labelNames: ['queue', 'lane'], registers: r, aggregator: 'max',
    }),
    upstreamServers: new Gauge({ name: 'avfleet_upstream_servers', help: 'Scanner servers configured for a rule.', labelNames: ['rule'], registers: r, aggregator: 'max' }),
    scansReenqueued: new Counter({
      name: 'avfleet_scans_reenqueued_total',
      help: 'Accepted scans enqueued again because Redis lost their state (state_lost) or part jobs (jobs_lost), or rebuilt from the stored message and request (result_lost): a failover or a Redis restart without persistence.',
      labelNames: ['reason'], registers: r,
    }),
    deadlinesMissed: new Counter({
      name: 'avfleet_deadline_missed_total',
      help: 'Submissions with a Deadline whose scan was not finished by it, by answer: partial (result so far), scan_id (no result readable).',
      labelNames: ['answer'], registers: r,
    }),
    // A producer cluster's /metrics merges its processes: one lost connection shows.
    redisConnected: new Gauge({ name: 'avfleet_redis_connected', help: 'Whether this process is connected to Redis (1) or has lost it (0).', registers: r, aggregator: 'min' }),
    ...redisHealthGauges(r),
    archiveLimitHits: new Counter({
      name: 'avfleet_archive_limit_hits_total',
      help: 'Archive listings cut short, by limit: depth, members, bytes, ratio (AVFLEET_ARCHIVE_MAX_*), or corrupt.',
      labelNames: ['limit'],
      registers: r,
    }),
    httpRequests: new Counter({ name: 'avfleet_http_requests_total', help: 'HTTP requests by route and status code.', labelNames: ['route', 'status'], registers: r }),
    rejectedRequests: new Counter({ name: 'avfleet_rejected_requests_total', help: 'Scan requests refused before enqueueing, by reason.', labelNames: ['reason'], registers: r }),
    storePrunedObjects: new Counter({ name: 'avfleet_store_pruned_objects_total', help: 'Objects removed from a folder store by retention, by kind (message, part).', labelNames: ['kind'], registers: r }),
    storePrunedBytes: new Counter({ name: 'avfleet_store_pruned_bytes_total', help: 'Bytes of the objects removed from a folder store by retention.', registers: r }),
    storePruneRuns: new Counter({ name: 'avfleet_store_prune_runs_total', help: 'Prune runs of a folder store by outcome: complete, cut_short (work bound reached), failed.', labelNames: ['outcome'], registers: r }),
    quarantineEntries: new Gauge({ name: 'avfleet_quarantine_entries', help: 'Messages in the quarantine (its index), as last seen by this process.', registers: r, aggregator: 'max' }),
    quarantineBytes: new Gauge({ name: 'avfleet_quarantine_bytes', help: 'Raw bytes of the messages in the quarantine, as last seen by this process.', registers: r, aggregator: 'max' }),
    quarantineWrites: new Counter({ name: 'avfleet_quarantine_writes_total', help: 'Messages offered to the quarantine by outcome: kept, already, full (a bound reached), failed (store or Redis error; the verdict stands).', labelNames: ['outcome'], registers: r }),
    quarantineReleases: new Counter({ name: 'avfleet_quarantine_releases_total', help: 'Releases of quarantined messages by outcome: delivered, failed.', labelNames: ['outcome'], registers: r }),
    retroRememberedParts: new Gauge({ name: 'avfleet_retro_remembered_parts', help: 'Remembered (rule, part) pairs the retro-scan would scan again, as last seen by this process.', registers: r, aggregator: 'max' }),
    retroRememberedBytes: new Gauge({ name: 'avfleet_retro_remembered_bytes', help: 'Redis bytes of the retro-scan memory (fields and values), as last seen by this process.', registers: r, aggregator: 'max' }),
    retroRemembered: new Counter({ name: 'avfleet_retro_remembered_total', help: 'Clean (rule, part) pairs offered to the retro-scan memory by outcome: added, carrier, full (a bound reached), failed (Redis error; the verdict stands).', labelNames: ['outcome'], registers: r }),
    retroScans: new Counter({ name: 'avfleet_retro_scans_total', help: 'Retro-scans started, by rule and trigger (version: a signature version change; demand: POST /retroscan).', labelNames: ['rule', 'trigger'], registers: r }),
    retroPartsScanned: new Counter({ name: 'avfleet_retro_parts_scanned_total', help: 'Parts scanned again by the retro-scan, by rule and verdict kind.', labelNames: ['rule', 'verdict'], registers: r }),
    retroDetections: new Counter({ name: 'avfleet_retro_detections_total', help: 'Retro detections: parts scanned clean within the window and found infected by a retro-scan, by rule.', labelNames: ['rule'], registers: r }),
    quarantineRemoved: new Counter({ name: 'avfleet_quarantine_removed_total', help: 'Quarantined messages removed, by reason: deleted, expired.', labelNames: ['reason'], registers: r }),
    webhookDeliveries: new Counter({
      name: 'avfleet_webhook_deliveries_total',
      help: 'Webhook events (retro detections) by outcome: delivered, rejected (3xx, 4xx but 408/429), exhausted (attempts used up), dropped (outbox full); retried per failed attempt.',
      labelNames: ['outcome'], registers: r,
    }),
    inflightBytes: new Gauge({ name: 'avfleet_inflight_bytes', help: 'Bytes of messages held while they arrive and until answered (AVFLEET_MAX_INFLIGHT_BYTES).', registers: r }),
    attachmentMemoLookups: memoLookups,
    trackServersDown(source) {
      downSources.push(source);
    },
    trackAttachmentMemo(memo) {
      memoSource.memo = memo;
    },
  };
}

/** The gauges sampleRedisHealth sets (workers serving `aggregate`, with the queue depths). */
function redisHealthGauges(r: Registry[]): Pick<FleetMetrics, 'redisMemoryUsed' | 'redisMemoryMax' | 'redisMaxmemoryPolicy' | 'redisClusterStateOk' | 'redisClusterMasters'> {
  const node = { labelNames: ['node'] as const, registers: r, aggregator: 'max' as const };
  return {
    redisMemoryUsed: new Gauge({ name: 'avfleet_redis_memory_used_bytes', help: 'Redis used_memory, by node.', ...node }),
    redisMemoryMax: new Gauge({ name: 'avfleet_redis_memory_max_bytes', help: 'Redis maxmemory (0: no limit), by node.', ...node }),
    redisMaxmemoryPolicy: new Gauge({
      name: 'avfleet_redis_maxmemory_policy_info',
      help: 'Redis maxmemory-policy of a node: 1 for the current policy (BullMQ needs noeviction).',
      labelNames: ['node', 'policy'], registers: r, aggregator: 'max',
    }),
    redisClusterStateOk: new Gauge({ name: 'avfleet_redis_cluster_state_ok', help: 'Redis Cluster only: 1 when the node reports cluster_state:ok, else 0.', ...node }),
    redisClusterMasters: new Gauge({
      name: 'avfleet_redis_cluster_masters',
      help: 'Redis Cluster only: masters serving slots, by state (ok, fail: flagged fail or pfail).',
      labelNames: ['state'], registers: r, aggregator: 'max',
    }),
  };
}

/** avfleet_attachment_memo_lookups_total: brought up to the tracked memo's own totals at every scrape (no samples until one is tracked). */
function memoLookupsCounter(r: Registry[], source: { memo: Pick<DecodedFactsMemo, 'stats'> | null }): Counter<'result'> {
  const reported = { hit: 0, miss: 0 };
  return new Counter({
    name: 'avfleet_attachment_memo_lookups_total',
    help: 'Base64 attachments looked up in the producer\'s decoded-facts memo, by result: hit (not decoded or hashed again unless stored), miss.',
    labelNames: ['result'],
    registers: r,
    collect() {
      if (!source.memo) return;
      const { hits, misses } = source.memo.stats();
      if (hits > reported.hit) this.inc({ result: 'hit' }, hits - reported.hit);
      if (misses > reported.miss) this.inc({ result: 'miss' }, misses - reported.miss);
      reported.hit = hits;
      reported.miss = misses;
    },
  });
}
