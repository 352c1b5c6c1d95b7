import { FLEET_DEFAULTS, MAX_DEADLINE_SEC, MAX_PRODUCER_PROCESSES, MAX_QUEUE_LANES, MAX_WEBHOOK_ATTEMPTS, MIN_STORE_RETENTION_SEC } from './fleet-defaults';
import type { ActionThresholds, FleetRole, HostPort } from './fleet-settings';

/**
 * The one table of fleet settings (docs/interfaces.md §2). `readSettingSources`
 * takes the flag and environment names from here, the CLI prints `--help`
 * from it and the README table is generated from it.
 */
export interface SettingDescriptor {
  /** Key in the AVFLEET_SETTINGS file: the environment name without `AVFLEET_`, lower case. */
  readonly key: string;
  /** Environment variable. */
  readonly env: string;
  /** Command-line flag without the leading `--`, or null when there is none. */
  readonly flag: string | null;
  /** Placeholder shown after the flag (`URL`, `N`); null for a switch (`--lenient`). */
  readonly valueName: string | null;
  /** The default, as text (rendered from FLEET_DEFAULTS). */
  readonly default: string;
  readonly meaning: string;
  /** Commands that read the setting (filters each command's `--help`). */
  readonly usedBy: readonly FleetRole[];
}

const hostPort = (hp: HostPort): string => (hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`);

/** `reject=15,add header=6,greylist=4` */
export function formatActionThresholds(actions: ActionThresholds): string {
  return Object.entries(actions)
    .map(([name, score]) => `${name}=${score}`)
    .join(',');
}

const D = FLEET_DEFAULTS;
const ALL: readonly FleetRole[] = ['producer', 'worker', 'scan'];

const ROWS: SettingDescriptor[] = [
  { key: 'config', env: 'AVFLEET_CONFIG', flag: 'config', valueName: 'PATH', default: 'none (required for producer/worker); scan uses the bundled example', meaning: "antivirus.conf (Rspamd's UCL format)", usedBy: ALL },
  { key: 'settings', env: 'AVFLEET_SETTINGS', flag: null, valueName: 'PATH', default: 'unset', meaning: 'YAML or JSON file of these settings, keys as the environment names without AVFLEET_ in lower case', usedBy: ALL },
  { key: 'redis_url', env: 'AVFLEET_REDIS_URL', flag: 'redis', valueName: 'URL', default: D.redisUrl, meaning: 'Redis for queues, verdict cache and results (redis:// or rediss://)', usedBy: ALL },
  { key: 'redis_cluster_nodes', env: 'AVFLEET_REDIS_CLUSTER_NODES', flag: null, valueName: 'HOST:PORT,…', default: 'unset (one Redis)', meaning: 'seed nodes of a Redis Cluster: when set, every Redis use (queues, scan states, verdict cache, results, signature versions) goes through an ioredis Cluster (user, password and TLS from AVFLEET_REDIS_URL), each queue lane under its own hash tag', usedBy: ALL },
  { key: 'store', env: 'AVFLEET_STORE', flag: 'store', valueName: 'URL|DIR', default: `${D.store} (a folder)`, meaning: 'object store for messages and parts: a folder, or s3://BUCKET[/PREFIX]', usedBy: ALL },
  { key: 's3_endpoint', env: 'AVFLEET_S3_ENDPOINT', flag: null, valueName: 'URL', default: 'none (required for an s3:// store)', meaning: 'S3/MinIO endpoint, e.g. http://127.0.0.1:9000', usedBy: ALL },
  { key: 's3_access_key', env: 'AVFLEET_S3_ACCESS_KEY', flag: null, valueName: 'KEY', default: 'unset (anonymous)', meaning: 'S3 access key', usedBy: ALL },
  { key: 's3_secret_key', env: 'AVFLEET_S3_SECRET_KEY', flag: null, valueName: 'KEY', default: 'unset (anonymous)', meaning: 'S3 secret key', usedBy: ALL },
  { key: 's3_region', env: 'AVFLEET_S3_REGION', flag: null, valueName: 'REGION', default: D.s3Region, meaning: 'S3 region', usedBy: ALL },
  { key: 'store_mode', env: 'AVFLEET_STORE_MODE', flag: null, valueName: 'MODE', default: D.storeMode, meaning: 'folder store permissions: private (files 0600, folders 0700) or group (0640/0750: the folder\'s group may read); every avfleet process runs as the folder\'s owner', usedBy: ALL },
  { key: 'store_retention', env: 'AVFLEET_STORE_RETENTION', flag: null, valueName: 'DURATION', default: `${D.storeRetentionSec / 86400}d`, meaning: `how long stored messages and parts are kept (at least ${MIN_STORE_RETENTION_SEC}s; 0 or off keeps them until avfleet store prune): workers serving aggregate prune a folder store; for S3 the expiration days of the lifecycle rule`, usedBy: ALL },
  { key: 'store_set_lifecycle', env: 'AVFLEET_STORE_SET_LIFECYCLE', flag: null, valueName: 'BOOL', default: String(D.storeSetLifecycle), meaning: 'S3: at start-up, add the expiration rule on messages/ and parts/ when the bucket has none', usedBy: ['producer', 'worker'] },
  { key: 'listen', env: 'AVFLEET_LISTEN', flag: 'listen', valueName: 'HOST:PORT', default: hostPort(D.listen), meaning: "producer HTTP API (Rspamd's normal-worker port, so rspamc needs no -h)", usedBy: ['producer', 'scan'] },
  { key: 'metrics_listen', env: 'AVFLEET_METRICS_LISTEN', flag: 'metrics-listen', valueName: 'HOST:PORT', default: `producer: its --listen; worker: ${hostPort(D.workerMetricsListen)}`, meaning: '/metrics, /healthz, /readyz', usedBy: ['producer', 'worker'] },
  { key: 'queues', env: 'AVFLEET_QUEUES', flag: 'queues', valueName: 'LIST', default: 'every rule and aggregate', meaning: 'comma-separated rule names (block names) and/or aggregate to serve', usedBy: ['worker'] },
  { key: 'concurrency', env: 'AVFLEET_CONCURRENCY', flag: 'concurrency', valueName: 'N', default: String(D.concurrency), meaning: 'jobs at once, per queue, per process (split over the queue lanes: N / lanes each, rounded up)', usedBy: ['worker', 'scan'] },
  { key: 'producer_processes', env: 'AVFLEET_PRODUCER_PROCESSES', flag: 'processes', valueName: 'N', default: String(D.producerProcesses), meaning: `producer processes sharing --listen (node:cluster, 1 to ${MAX_PRODUCER_PROCESSES}); /metrics sums them all`, usedBy: ['producer'] },
  { key: 'queue_prefix', env: 'AVFLEET_QUEUE_PREFIX', flag: null, valueName: 'NAME', default: D.queuePrefix, meaning: "BullMQ prefix of the fleet's queues", usedBy: ALL },
  { key: 'queue_lanes', env: 'AVFLEET_QUEUE_LANES', flag: null, valueName: 'N', default: '1 on one Redis; on a Redis Cluster one per master', meaning: `complete sets of the fleet's queues (1 to ${MAX_QUEUE_LANES}), each under its own hash tag spread over the cluster's slots; each message goes to one lane, workers serve every lane; the same N on every producer and worker`, usedBy: ALL },
  { key: 'max_waiting', env: 'AVFLEET_MAX_WAITING', flag: null, valueName: 'N', default: String(D.maxWaiting), meaning: 'waiting scan jobs (summed over the lanes) above which POST answers 429', usedBy: ['producer', 'scan'] },
  { key: 'result_ttl', env: 'AVFLEET_RESULT_TTL', flag: null, valueName: 'SECONDS', default: `${D.resultTtlSec} s`, meaning: 'how long results stay readable (also 30m, 2h, 1d)', usedBy: ALL },
  { key: 'max_message_bytes', env: 'AVFLEET_MAX_MESSAGE_BYTES', flag: null, valueName: 'BYTES', default: `${D.maxMessageBytes} (50 MiB)`, meaning: 'larger messages get 413 (also 50M, 1G)', usedBy: ['producer', 'scan'] },
  { key: 'max_inflight_bytes', env: 'AVFLEET_MAX_INFLIGHT_BYTES', flag: null, valueName: 'BYTES', default: '1/8 of memory, at most 1G, at least 2 × max_message_bytes', meaning: 'bytes of messages one producer process holds while they arrive and until answered, over HTTP, clamd and milter together; beyond it HTTP 503 + Retry-After, clamd a temporary ERROR, milter 451 (AVF_ERR_BUSY); at least max_message_bytes', usedBy: ['producer'] },
  { key: 'api_token', env: 'AVFLEET_API_TOKEN', flag: null, valueName: 'TOKEN', default: 'unset (no auth)', meaning: 'bearer token (or rspamc -P password) required by the scan routes', usedBy: ['producer'] },
  { key: 'admin_token', env: 'AVFLEET_ADMIN_TOKEN', flag: null, valueName: 'TOKEN', default: 'unset (quarantine routes answer 404)', meaning: 'bearer token of the quarantine routes (GET /quarantine…, release, delete); a different secret from api_token', usedBy: ['producer'] },
  { key: 'quarantine', env: 'AVFLEET_QUARANTINE', flag: null, valueName: 'MODE', default: D.quarantine.mode, meaning: 'keep finished messages in the quarantine: off, reject (final action reject) or virus (any virus verdict)', usedBy: ALL },
  { key: 'quarantine_days', env: 'AVFLEET_QUARANTINE_DAYS', flag: null, valueName: 'DAYS', default: String(D.quarantine.retentionDays), meaning: 'how long quarantined messages are kept (apart from store_retention); workers serving aggregate remove expired ones', usedBy: ['worker'] },
  { key: 'quarantine_max_entries', env: 'AVFLEET_QUARANTINE_MAX_ENTRIES', flag: null, valueName: 'N', default: String(D.quarantine.maxEntries), meaning: 'quarantined messages at most; past it a new one is not kept (logged, avfleet_quarantine_write_failures_total{reason="full"})', usedBy: ['producer', 'worker'] },
  { key: 'quarantine_max_bytes', env: 'AVFLEET_QUARANTINE_MAX_BYTES', flag: null, valueName: 'BYTES', default: `${D.quarantine.maxBytes} (10 GiB)`, meaning: 'raw bytes of quarantined messages at most, the same way', usedBy: ['producer', 'worker'] },
  { key: 'release_smtp', env: 'AVFLEET_RELEASE_SMTP', flag: null, valueName: 'HOST:PORT', default: 'unset (release refused)', meaning: 'SMTP relay POST /quarantine/{id}/release re-delivers to, with the original envelope', usedBy: ['producer'] },
  { key: 'webhook_url', env: 'AVFLEET_WEBHOOK_URL', flag: null, valueName: 'URL', default: 'unset (retro detections are only logged)', meaning: 'http:// or https:// URL each retro detection is POSTed to as JSON (README "Webhook"), from a durable outbox (the webhook queue) served by the workers serving aggregate', usedBy: ALL },
  { key: 'webhook_secret', env: 'AVFLEET_WEBHOOK_SECRET', flag: null, valueName: 'SECRET', default: 'unset (events unsigned, warned at start-up)', meaning: 'HMAC-SHA256 key of X-Avfleet-Signature, over the timestamp and the exact body (README "Webhook")', usedBy: ['worker'] },
  { key: 'webhook_timeout', env: 'AVFLEET_WEBHOOK_TIMEOUT', flag: null, valueName: 'SECONDS', default: `${D.webhook.timeoutSec} s`, meaning: 'time one webhook attempt may take; a timeout is retried', usedBy: ['worker'] },
  { key: 'webhook_attempts', env: 'AVFLEET_WEBHOOK_ATTEMPTS', flag: null, valueName: 'N', default: String(D.webhook.attempts), meaning: `attempts per event (1 to ${MAX_WEBHOOK_ATTEMPTS}), backoff doubling from 1 s between them; 5xx, 408, 429, timeouts and connection errors are retried, other 4xx and 3xx are not`, usedBy: ALL },
  { key: 'webhook_max_waiting', env: 'AVFLEET_WEBHOOK_MAX_WAITING', flag: null, valueName: 'N', default: String(D.webhook.maxWaiting), meaning: 'events waiting in the outbox at most; past it a new event is dropped (AVF_WARN_WEBHOOK_OUTBOX_FULL, avfleet_webhook_deliveries_total{outcome="dropped"})', usedBy: ALL },
  { key: 'retroscan', env: 'AVFLEET_RETROSCAN', flag: null, valueName: 'on|off', default: 'off', meaning: 'remember parts scanned clean for the window and scan them again when a rule\'s signature version changes or on demand (POST /retroscan, avfleet retroscan)', usedBy: ALL },
  { key: 'retroscan_window', env: 'AVFLEET_RETROSCAN_WINDOW', flag: null, valueName: 'DURATION', default: `${D.retroscan.windowSec / 3600}h`, meaning: 'how long a part is remembered after its bytes were last stored; store retention keeps those bytes at least as long', usedBy: ALL },
  { key: 'retroscan_max_entries', env: 'AVFLEET_RETROSCAN_MAX_ENTRIES', flag: null, valueName: 'N', default: String(D.retroscan.maxEntries), meaning: 'remembered (rule, part) pairs at most; past it a new one is not remembered (avfleet_retro_remembered_total{outcome="full"})', usedBy: ['producer', 'worker'] },
  { key: 'retroscan_max_bytes', env: 'AVFLEET_RETROSCAN_MAX_BYTES', flag: null, valueName: 'BYTES', default: `${D.retroscan.maxBytes} (128 MiB)`, meaning: 'Redis bytes of the remembered parts at most, the same way', usedBy: ['producer', 'worker'] },
  { key: 'retroscan_max_carriers', env: 'AVFLEET_RETROSCAN_MAX_CARRIERS', flag: null, valueName: 'N', default: String(D.retroscan.maxCarriers), meaning: 'scans (scan id, Queue-Id, envelope, Message-ID) remembered per part at most, 1–1000; more are counted as carriersTruncated', usedBy: ['producer', 'worker'] },
  { key: 'retroscan_concurrency', env: 'AVFLEET_RETROSCAN_CONCURRENCY', flag: null, valueName: 'N', default: String(D.retroscan.concurrency), meaning: 'retro part jobs (queue retro-<rule>) one worker runs at once per rule, 1–64', usedBy: ['worker'] },
  { key: 'retroscan_rate', env: 'AVFLEET_RETROSCAN_RATE', flag: null, valueName: 'N', default: String(D.retroscan.ratePerSec), meaning: 'retro part jobs per second per rule, fleet-wide (BullMQ limiter on retro-<rule>)', usedBy: ['worker'] },
  { key: 'actions', env: 'AVFLEET_ACTIONS', flag: null, valueName: 'LIST', default: formatActionThresholds(D.actions), meaning: 'score thresholds of the actions', usedBy: ALL },
  { key: 'cache_rspamd_compat', env: 'AVFLEET_CACHE_RSPAMD_COMPAT', flag: null, valueName: 'BOOL', default: String(D.cacheRspamdCompat), meaning: "use Rspamd's exact verdict-cache keys (share the cache with Rspamd)", usedBy: ['worker', 'scan'] },
  { key: 'archive_max_depth', env: 'AVFLEET_ARCHIVE_MAX_DEPTH', flag: null, valueName: 'N', default: String(D.archive.maxDepth), meaning: 'archive nesting depth limit', usedBy: ALL },
  { key: 'archive_max_members', env: 'AVFLEET_ARCHIVE_MAX_MEMBERS', flag: null, valueName: 'N', default: String(D.archive.maxMembers), meaning: 'archive member count limit', usedBy: ALL },
  { key: 'archive_max_bytes', env: 'AVFLEET_ARCHIVE_MAX_BYTES', flag: null, valueName: 'BYTES', default: String(D.archive.maxBytes), meaning: 'archive expanded size limit', usedBy: ALL },
  { key: 'archive_max_ratio', env: 'AVFLEET_ARCHIVE_MAX_RATIO', flag: null, valueName: 'N', default: String(D.archive.maxRatio), meaning: 'archive expansion ratio limit', usedBy: ALL },
  { key: 'mime_max_parts', env: 'AVFLEET_MIME_MAX_PARTS', flag: null, valueName: 'N', default: String(D.mime.maxParts), meaning: 'MIME parts per message (attached messages, uuencode and TNEF included); more is a MIME error', usedBy: ['producer', 'scan'] },
  { key: 'mime_max_depth', env: 'AVFLEET_MIME_MAX_DEPTH', flag: null, valueName: 'N', default: String(D.mime.maxDepth), meaning: 'nesting of multiparts and attached messages; deeper is a MIME error', usedBy: ['producer', 'scan'] },
  { key: 'mime_max_header_bytes', env: 'AVFLEET_MIME_MAX_HEADER_BYTES', flag: null, valueName: 'BYTES', default: `${D.mime.maxHeaderBytes} (1 MiB)`, meaning: 'bytes of one MIME header block; more is a MIME error', usedBy: ['producer', 'scan'] },
  { key: 'log_level', env: 'LOG_LEVEL', flag: null, valueName: 'LEVEL', default: D.logLevel, meaning: 'fatal, error, warn, info, debug, trace or silent', usedBy: ALL },
  { key: 'upstream_error_time', env: 'AVFLEET_UPSTREAM_ERROR_TIME', flag: null, valueName: 'SECONDS', default: `${D.upstream.errorTimeSec} s`, meaning: 'window over which scanner-server errors are counted', usedBy: ['worker', 'scan'] },
  { key: 'upstream_max_errors', env: 'AVFLEET_UPSTREAM_MAX_ERRORS', flag: null, valueName: 'N', default: String(D.upstream.maxErrors), meaning: 'errors per window that take a scanner server out of rotation', usedBy: ['worker', 'scan'] },
  { key: 'upstream_revive_time', env: 'AVFLEET_UPSTREAM_REVIVE_TIME', flag: null, valueName: 'SECONDS', default: `${D.upstream.reviveTimeSec} s`, meaning: 'how long a failed scanner server stays out (±40 % jitter)', usedBy: ['worker', 'scan'] },
  { key: 'stalled_interval', env: 'AVFLEET_STALLED_INTERVAL', flag: null, valueName: 'SECONDS', default: `${D.stalledIntervalSec} s`, meaning: "how often workers look for jobs of a crashed worker, and how long a job lock lasts (BullMQ's stalledInterval); at least 0.5 s", usedBy: ['worker', 'scan'] },
  { key: 'clamd_listen', env: 'AVFLEET_CLAMD_LISTEN', flag: 'clamd-listen', valueName: 'HOST:PORT|unix:PATH', default: 'unset (off)', meaning: "clamd's protocol (INSTREAM, PING, VERSION, IDSESSION) for Exim, Rspamd's antivirus module, Amavis, Haraka, clamav-milter", usedBy: ['producer'] },
  { key: 'clamd_deadline', env: 'AVFLEET_CLAMD_DEADLINE', flag: null, valueName: 'SECONDS', default: `${D.clamdDeadlineSec} s`, meaning: `a clamd-protocol scan is answered by then (rules not finished: ERROR); keep it under the client's timeout; at most ${MAX_DEADLINE_SEC} s (longer is capped, with a warning)`, usedBy: ['producer'] },
  { key: 'lenient_config', env: 'AVFLEET_LENIENT_CONFIG', flag: 'lenient', valueName: null, default: String(D.lenient), meaning: "drop invalid rules with a warning and carry on (Rspamd's behaviour) instead of refusing to start", usedBy: ['producer', 'worker', 'scan', 'cli'] },
  { key: 'milter_listen', env: 'AVFLEET_MILTER_LISTEN', flag: 'milter-listen', valueName: 'HOST:PORT|unix:PATH', default: 'unset (no milter)', meaning: 'milter front end for Postfix and Sendmail (protocol 6), beside the HTTP API', usedBy: ['producer'] },
  { key: 'milter_deadline', env: 'AVFLEET_MILTER_DEADLINE', flag: null, valueName: 'SECONDS', default: `${D.milter.deadlineSec} s`, meaning: `the milter's answer comes by then, unfinished rules as deadline fails; keep it below Postfix's milter_content_timeout (300 s); at most ${MAX_DEADLINE_SEC} s (longer is capped, with a warning)`, usedBy: ['producer'] },
  { key: 'milter_headers', env: 'AVFLEET_MILTER_HEADERS', flag: null, valueName: 'BOOL', default: String(D.milter.addHeaders), meaning: 'the milter adds X-Virus-Scanned and X-Avfleet-Symbols to the mail it accepts', usedBy: ['producer'] },
  { key: 'milter_max_connections', env: 'AVFLEET_MILTER_MAX_CONNECTIONS', flag: null, valueName: 'N', default: String(D.milter.maxConnections), meaning: "milter connections at once (the MTA opens one per SMTP session); more are closed at once", usedBy: ['producer'] },
];
const SETTINGS: readonly SettingDescriptor[] = Object.freeze(ROWS.map((row) => Object.freeze(row)));

/** Every fleet setting, in display order; filtered to those a command reads when `role` is given. */
export function describeSettings(role?: FleetRole): readonly SettingDescriptor[] {
  return role === undefined ? SETTINGS : SETTINGS.filter((s) => s.usedBy.includes(role));
}

/** The settings table as Markdown (flag | environment | default | meaning), for the README. */
export function settingsToMarkdown(rows: readonly SettingDescriptor[] = SETTINGS): string {
  const cell = (s: string): string => s.replace(/\|/g, '\\|');
  const lines = ['| flag | environment | default | meaning |', '| --- | --- | --- | --- |'];
  for (const r of rows) {
    const flag = r.flag === null ? '' : `\`--${r.flag}${r.valueName ? ` ${r.valueName}` : ''}\``;
    lines.push(`| ${cell(flag)} | \`${r.env}\` | ${cell(r.default)} | ${cell(r.meaning)} |`);
  }
  return lines.join('\n');
}
