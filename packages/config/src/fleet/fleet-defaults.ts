import { UPSTREAM_HEALTH_DEFAULTS, type UpstreamHealthOptions } from '@avfleet/scanners';
import type { ActionThresholds, ArchiveLimits, QuarantineSettings, RetroscanSettings, WebhookSettings, HostPort, ListenAddress, LogLevel, MilterSettings, MimeLimitSettings, StoreMode } from './fleet-settings';

/**
 * Every fleet setting's default, in one frozen object (docs/interfaces.md §2,
 * docs/semantics.md §10.3). `describeSettings()` renders its default column from
 * these values, so the README table, `--help` and the code cannot disagree.
 */
export interface FleetDefaults {
  /** `--config`: none; producer and worker require one, `scan` uses the bundled example. */
  readonly configPath: null;
  readonly redisUrl: string;
  readonly redisClusterNodes: null;
  /** A folder; `~` expands to the home directory. */
  readonly store: string;
  readonly s3Region: string;
  readonly storeMode: StoreMode;
  readonly storeRetentionSec: number;
  readonly storeSetLifecycle: boolean;
  readonly listen: HostPort;
  /** The worker's metrics address (the producer serves metrics on its `--listen`). */
  readonly workerMetricsListen: HostPort;
  /** null = every rule plus `aggregate`. */
  readonly queues: null;
  readonly concurrency: number;
  /** `avfleet producer` processes sharing the listen port (1 = no cluster). */
  readonly producerProcesses: number;
  readonly queuePrefix: string;
  /** null: 1 on one Redis, one lane per master on a Redis Cluster. */
  readonly queueLanes: null;
  readonly maxWaiting: number;
  readonly resultTtlSec: number;
  readonly maxMessageBytes: number;
  readonly apiToken: null;
  readonly adminToken: null;
  /** Off; entries kept 30 days, at most 100 000 of them and 10 GiB; no release relay. */
  readonly quarantine: QuarantineSettings & { readonly mode: 'off'; readonly releaseSmtp: null };
  /** No webhook; 10 s per attempt, 12 attempts (about 34 minutes of backoff), 10 000 events held at most. */
  readonly webhook: WebhookSettings & { readonly url: null; readonly secret: null };
  /** Off; a 24 h window, at most 100 000 parts and 128 MiB of Redis, 20 scans per part; 2 retro jobs at once per worker and rule, 20 per second per rule. */
  readonly retroscan: RetroscanSettings & { readonly enabled: false };
  readonly actions: ActionThresholds;
  readonly cacheRspamdCompat: boolean;
  readonly archive: ArchiveLimits;
  readonly mime: MimeLimitSettings;
  readonly logLevel: LogLevel;
  readonly upstream: UpstreamHealthOptions;
  readonly stalledIntervalSec: number;
  readonly lenient: boolean;
  /** The clamd-protocol front end is off unless given an address. */
  readonly clamdListen: ListenAddress | null;
  /** Under Rspamd's default clamav `timeout` (5 s), so Rspamd reads the answer before it gives up. */
  readonly clamdDeadlineSec: number;
  /** Off (no listener); the deadline stays well below Postfix's milter_content_timeout (300 s). */
  readonly milter: MilterSettings & { readonly listen: null };
}

/** Shortest AVFLEET_STORE_RETENTION: a message's objects are written before its jobs exist, and must outlive that gap. */
export const MIN_STORE_RETENTION_SEC = 60;

/**
 * Longest any answer waits, on every route and front end (HTTP `wait` and `Deadline`,
 * AVFLEET_MILTER_DEADLINE, AVFLEET_CLAMD_DEADLINE): a longer one is capped to it (README
 * "Limits"); core's MAX_WAIT_SEC is this value. A front-end deadline set above it is
 * warned about (AVF_WARN_DEADLINE_CAPPED).
 */
export const MAX_DEADLINE_SEC = 300;

/** Upper bound of AVFLEET_PRODUCER_PROCESSES. */
export const MAX_PRODUCER_PROCESSES = 64;

/** Upper bound of AVFLEET_WEBHOOK_ATTEMPTS: the backoff doubles from 1 s, so 20 attempts already span about 12 days. */
export const MAX_WEBHOOK_ATTEMPTS = 20;

/** Upper bound of AVFLEET_QUEUE_LANES: each lane is a BullMQ worker per served queue in every worker process. */
export const MAX_QUEUE_LANES = 64;

/** Freezes `value` and every object inside it; an already frozen object (a shared default) is left as it is. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

export const FLEET_DEFAULTS: FleetDefaults = deepFreeze({
  configPath: null,
  redisUrl: 'redis://127.0.0.1:6379/0',
  redisClusterNodes: null,
  store: '~/.local/state/avfleet/store',
  s3Region: 'us-east-1',
  storeMode: 'private',
  storeRetentionSec: 3 * 86400,
  storeSetLifecycle: false,
  listen: { host: '127.0.0.1', port: 11333 },
  workerMetricsListen: { host: '127.0.0.1', port: 9464 },
  queues: null,
  concurrency: 8,
  producerProcesses: 1,
  queuePrefix: 'avfleet',
  queueLanes: null,
  maxWaiting: 10000,
  resultTtlSec: 3600,
  maxMessageBytes: 52428800,
  apiToken: null,
  adminToken: null,
  quarantine: { mode: 'off', retentionDays: 30, maxEntries: 100_000, maxBytes: 10 * 1024 ** 3, releaseSmtp: null },
  webhook: { url: null, secret: null, timeoutSec: 10, attempts: 12, maxWaiting: 10000 },
  retroscan: { enabled: false, windowSec: 86_400, maxEntries: 100_000, maxBytes: 128 * 1024 ** 2, maxCarriers: 20, concurrency: 2, ratePerSec: 20 },
  actions: { reject: 15, 'add header': 6, greylist: 4 },
  cacheRspamdCompat: false,
  archive: { maxDepth: 8, maxMembers: 1000, maxBytes: 104857600, maxRatio: 100 },
  mime: { maxParts: 1000, maxDepth: 32, maxHeaderBytes: 1048576 },
  logLevel: 'info',
  upstream: { ...UPSTREAM_HEALTH_DEFAULTS },
  stalledIntervalSec: 30,
  lenient: false,
  clamdListen: null,
  clamdDeadlineSec: 4,
  milter: { listen: null, deadlineSec: 60, addHeaders: true, maxConnections: 256 },
} satisfies FleetDefaults);
