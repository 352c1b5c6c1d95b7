import type { UpstreamHealthOptions } from '@avfleet/scanners';
import type { ActionName } from '../rules/rule';

/** The resolved fleet settings (docs/interfaces.md §2): every field filled, nothing optional. */

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Where a listener binds: `HOST:PORT`, or `unix:PATH` for a unix socket. */
export type ListenAddress = ({ readonly kind: 'tcp' } & HostPort) | { readonly kind: 'unix'; readonly path: string };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Actions that take a score threshold (`no action` is what is left below the lowest). */
export type ThresholdAction = Exclude<ActionName, 'no action'>;
/**
 * Score thresholds (AVFLEET_ACTIONS), e.g. `{ reject: 15, 'add header': 6, greylist: 4 }`:
 * the one shape, read by the aggregation as it is (packages/core's pick-action);
 * an action absent here is never reached by score.
 */
export type ActionThresholds = Readonly<Partial<Record<ThresholdAction, number>>>;

export interface FolderStoreSettings {
  readonly kind: 'folder';
  /** Absolute path (`~` expanded). */
  readonly dir: string;
}

export interface S3StoreSettings {
  readonly kind: 's3';
  readonly bucket: string;
  /** Object-key prefix from `s3://bucket/prefix/` (no leading slash; '' when none). */
  readonly keyPrefix: string;
  /** AVFLEET_S3_ENDPOINT as given, e.g. `http://127.0.0.1:9000`. */
  readonly endpointUrl: string;
  /** Host name of the endpoint (what the MinIO client calls `endPoint`). */
  readonly endpoint: string;
  readonly port: number;
  readonly useSSL: boolean;
  /** '' when unset (anonymous requests). */
  readonly accessKey: string;
  readonly secretKey: string;
  readonly region: string;
}

export type StoreSettings = FolderStoreSettings | S3StoreSettings;

/** Who may read a folder store (AVFLEET_STORE_MODE): `private` 0600/0700, `group` 0640/0750 (packages/core's store-mode). */
export const STORE_MODES = ['private', 'group'] as const;

/** Which finished scans the quarantine keeps (AVFLEET_QUARANTINE): none, those whose action is reject, or those that got any virus verdict. */
export const QUARANTINE_MODES = ['off', 'reject', 'virus'] as const;
export type QuarantineMode = (typeof QUARANTINE_MODES)[number];

/** The quarantine with release (README "Quarantine"; packages/core/src/quarantine). */
export interface QuarantineSettings {
  readonly mode: QuarantineMode;
  /** How long an entry is kept (AVFLEET_QUARANTINE_DAYS), apart from the store's own retention. */
  readonly retentionDays: number;
  /** Entries at most (AVFLEET_QUARANTINE_MAX_ENTRIES): past it a new message is not kept (logged and counted). */
  readonly maxEntries: number;
  /** Raw bytes at most (AVFLEET_QUARANTINE_MAX_BYTES), the same way. */
  readonly maxBytes: number;
  /** The SMTP relay a release re-delivers to (AVFLEET_RELEASE_SMTP); null: releases are refused. */
  readonly releaseSmtp: HostPort | null;
}
export type StoreMode = (typeof STORE_MODES)[number];

/**
 * The webhook outbox (README "Webhook"; packages/core/src/notify): where retro detections are
 * POSTed, how they are signed, and its bounds.
 */
export interface WebhookSettings {
  /** AVFLEET_WEBHOOK_URL, an http: or https: URL; null: no webhook (detections are only logged). */
  readonly url: string | null;
  /** AVFLEET_WEBHOOK_SECRET: the HMAC-SHA256 key of the signature header; null: events go unsigned (warned at start-up). */
  readonly secret: string | null;
  /** AVFLEET_WEBHOOK_TIMEOUT: seconds one attempt may take, from connecting to the reply's status line. */
  readonly timeoutSec: number;
  /** AVFLEET_WEBHOOK_ATTEMPTS: attempts per event (the first included), with exponential backoff between them. */
  readonly attempts: number;
  /** AVFLEET_WEBHOOK_MAX_WAITING: events held in the outbox at most; a new one past it is dropped (logged and counted). */
  readonly maxWaiting: number;
}

/** The retro-scan (README "Retro-scan"; packages/core/src/retroscan): parts scanned clean, remembered and scanned again when signatures change. */
export interface RetroscanSettings {
  /** AVFLEET_RETROSCAN: remember clean parts and scan them again on a signature change or on demand. */
  readonly enabled: boolean;
  /** How long a remembered part is kept after its bytes were last stored (AVFLEET_RETROSCAN_WINDOW); store retention keeps them as long. */
  readonly windowSec: number;
  /** Remembered parts at most (AVFLEET_RETROSCAN_MAX_ENTRIES): past it a new part is not remembered (counted). */
  readonly maxEntries: number;
  /** Redis bytes of the memory at most (AVFLEET_RETROSCAN_MAX_BYTES), the same way. */
  readonly maxBytes: number;
  /** Scans remembered per part at most (AVFLEET_RETROSCAN_MAX_CARRIERS); more are counted, not listed. */
  readonly maxCarriers: number;
  /** Retro part jobs one worker runs at once per rule (AVFLEET_RETROSCAN_CONCURRENCY). */
  readonly concurrency: number;
  /** Retro part jobs per second per rule, fleet-wide (AVFLEET_RETROSCAN_RATE; BullMQ's limiter). */
  readonly ratePerSec: number;
}

/** Bounds for listing archive members (AVFLEET_ARCHIVE_*; packages/core's mime/archive-listing applies them). */
export interface ArchiveLimits {
  /** Archives inside archives followed at most this deep (the outer archive is depth 1). */
  readonly maxDepth: number;
  /** Member names collected in total, nested ones included. */
  readonly maxMembers: number;
  /** Bytes decompressed in total while looking into nested archives. */
  readonly maxBytes: number;
  /** A member is not decompressed beyond this many times its compressed size. */
  readonly maxRatio: number;
}

/** Bounds on one message's MIME structure (AVFLEET_MIME_*); a message over one is answered with a MIME error. */
export interface MimeLimitSettings {
  /** Leaf parts in all, parts of attached messages, uuencoded blocks and TNEF members included. */
  readonly maxParts: number;
  /** Nesting of MIME nodes (multiparts and attached messages) below the top-level part. */
  readonly maxDepth: number;
  /** Bytes of one header block. */
  readonly maxHeaderBytes: number;
}

/** The milter front end (docs/interfaces.md is the HTTP contract; README "Postfix and Sendmail (milter)"). */
export interface MilterSettings {
  /** Where it listens (--milter-listen); null = no milter front end. */
  readonly listen: ListenAddress | null;
  /** Seconds from the end of a message to the verdict: what is not finished by then is a `deadline` fail (below Postfix's milter_content_timeout). */
  readonly deadlineSec: number;
  /** Add `X-Virus-Scanned` and `X-Avfleet-Symbols` to accepted messages. */
  readonly addHeaders: boolean;
  /** Milter connections at once (one per SMTP session of the MTA); more are closed at once. */
  readonly maxConnections: number;
}

export type FleetRole = 'producer' | 'worker' | 'scan' | 'cli';

export interface FleetSettings {
  /** Path of antivirus.conf, or null (only `scan` and `cli` may leave it unset). */
  readonly configPath: string | null;
  /** The AVFLEET_SETTINGS file that was read, or null. */
  readonly settingsFile: string | null;
  readonly redisUrl: string;
  /**
   * Seed nodes of a Redis Cluster (AVFLEET_REDIS_CLUSTER_NODES), or null. When set, the
   * queues, scan states, verdict cache, stored results and signature versions go through an
   * ioredis Cluster (credentials and TLS from redisUrl).
   */
  readonly redisClusterNodes: readonly HostPort[] | null;
  readonly store: StoreSettings;
  /** Permissions of what a folder store creates. */
  readonly storeMode: StoreMode;
  /** How long stored messages and parts are kept (AVFLEET_STORE_RETENTION), in seconds; null = kept until `avfleet store prune`. */
  readonly storeRetentionSec: number | null;
  /** Create the S3 bucket's expiration rule at start-up when it has none (AVFLEET_STORE_SET_LIFECYCLE). */
  readonly storeSetLifecycle: boolean;
  readonly listen: HostPort;
  readonly metricsListen: HostPort;
  /** Queue names to serve; null = every rule plus `aggregate`. */
  readonly queues: readonly string[] | null;
  readonly concurrency: number;
  /** Producer processes sharing the listen port (node:cluster, round-robin); 1 = one plain process, no cluster. */
  readonly producerProcesses: number;
  readonly queuePrefix: string;
  /**
   * Complete sets of the fleet's queues, each under its own hash tag (AVFLEET_QUEUE_LANES);
   * null = the default: 1 on one Redis, one per master on a Redis Cluster (queue/queue-lanes.ts).
   */
  readonly queueLanes: number | null;
  readonly maxWaiting: number;
  readonly resultTtlSec: number;
  readonly maxMessageBytes: number;
  /**
   * Bytes of messages one producer process holds while they arrive and until they are answered,
   * over every front end (AVFLEET_MAX_INFLIGHT_BYTES; default defaultInflightBytes): more is refused as busy.
   */
  readonly maxInflightBytes: number;
  /** null = no authentication. */
  readonly apiToken: string | null;
  /** The admin token of the quarantine routes (AVFLEET_ADMIN_TOKEN); null = those routes answer 404. */
  readonly adminToken: string | null;
  readonly quarantine: QuarantineSettings;
  readonly webhook: WebhookSettings;
  readonly retroscan: RetroscanSettings;
  readonly actions: ActionThresholds;
  readonly cacheRspamdCompat: boolean;
  readonly archive: ArchiveLimits;
  readonly mime: MimeLimitSettings;
  readonly logLevel: LogLevel;
  /** Rspamd's upstream_error_time / upstream_max_errors / upstream_revive_time. */
  readonly upstream: UpstreamHealthOptions;
  /** How often workers look for stalled jobs, and how long a job lock lasts without renewal (BullMQ's stalledInterval/lockDuration): a crashed worker's jobs run again within about twice this. */
  readonly stalledIntervalSec: number;
  /** Drop invalid rules with a warning instead of refusing to start (Rspamd's behaviour). */
  readonly lenient: boolean;
  /** The clamd-protocol front end's address (apps/producer/src/frontends/clamd); null = off. */
  readonly clamdListen: ListenAddress | null;
  /** Seconds a clamd-protocol scan may take before it is answered with what is known (the submission's Deadline). */
  readonly clamdDeadlineSec: number;
  readonly milter: MilterSettings;
}
