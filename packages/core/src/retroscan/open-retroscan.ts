import { Queue, type ConnectionOptions } from 'bullmq';
import type { FleetSettings } from '@avfleet/config';
import type { FleetMetrics } from '../observe/fleet-metrics';
import type { Logger } from '../observe/logger';
import { createRetroRecorder, type RetroRecorder } from './remember-scan';
import { RetroMemory, type MemoryRedis } from './retro-memory';
import { createRetroScanStarter, retroQueueName, type RetroRun, type RetroScanStarter } from './start-retro-scan';

/** What the admin routes use (`POST /retroscan`, `GET /retro-detections`). */
export interface RetroAdmin {
  /** The rules a retro-scan can be started for. */
  readonly rules: readonly string[];
  start(rule: string, since: number): Promise<RetroRun>;
  /** Recorded detections, newest first (at most `limit`). */
  detections(limit: number): Promise<unknown[]>;
}

/** The retro-scan of one process (producer or worker), opened from the settings. */
export interface OpenedRetroscan {
  readonly memory: RetroMemory;
  readonly recorder: RetroRecorder;
  readonly starter: RetroScanStarter;
  readonly admin: RetroAdmin;
  /** The retro queue of each rule (lane 0's prefix: one queue per rule fleet-wide). */
  readonly queues: ReadonlyMap<string, Queue>;
  close(): Promise<void>;
}

/**
 * The retro-scan from the settings, or null when AVFLEET_RETROSCAN is off: the memory on the
 * key-value connection (its keys share one slot, `{retro}`), a `retro-<rule>` queue per rule
 * under `queuePrefix` — the first lane's prefix (queue/queue-lanes.ts), so on a Redis Cluster
 * each retro queue's keys share that lane's slot — the recorder the aggregation calls, and the
 * starter both triggers use.
 */
export function openRetroscan(opts: {
  readonly settings: Pick<FleetSettings, 'retroscan' | 'queuePrefix' | 'store' | 'storeRetentionSec'>;
  readonly rules: readonly string[];
  readonly redis: MemoryRedis;
  readonly connection: ConnectionOptions;
  /** The BullMQ prefix of the retro queues: the first queue lane's. */
  readonly queuePrefix: string;
  readonly metrics: FleetMetrics;
  readonly logger: Logger;
}): OpenedRetroscan | null {
  const r = opts.settings.retroscan;
  if (!r.enabled) return null;
  const clash = opts.rules.find((rule) => opts.rules.includes(retroQueueName(rule)));
  if (clash) throw new Error(`rule '${retroQueueName(clash)}' has the name of rule '${clash}''s retro queue (AVFLEET_RETROSCAN=on): rename the rule block`);
  // A folder store's pruning keeps what the memory points at (store/open-fleet-store.ts holdSince); an S3 bucket's lifecycle rule cannot.
  const retention = opts.settings.storeRetentionSec;
  if (opts.settings.store.kind === 's3' && retention !== null && retention < r.windowSec) {
    opts.logger.warn(
      { code: 'AVF_WARN_RETROSCAN_PAST_RETENTION', windowSec: r.windowSec, storeRetentionSec: retention },
      'AVFLEET_RETROSCAN_WINDOW is longer than AVFLEET_STORE_RETENTION and the S3 bucket expires objects by its lifecycle rule: parts older than the retention cannot be scanned again; raise the retention to the window',
    );
  }
  const memory = new RetroMemory(opts.redis, opts.settings.queuePrefix, { maxEntries: r.maxEntries, maxBytes: r.maxBytes, maxCarriers: r.maxCarriers });
  const queues = new Map(opts.rules.map((rule) => [rule, new Queue(retroQueueName(rule), { connection: opts.connection, prefix: opts.queuePrefix })]));
  const starter = createRetroScanStarter({ memory, queueOf: (rule) => queues.get(rule) ?? null, metrics: opts.metrics, logger: opts.logger });
  return {
    memory,
    recorder: createRetroRecorder({ memory, metrics: opts.metrics, logger: opts.logger }),
    starter,
    queues,
    admin: {
      rules: opts.rules,
      start: (rule, since) => starter.start(rule, { since, trigger: 'demand' }),
      detections: (limit) => memory.detections(limit),
    },
    async close() {
      await Promise.allSettled([...queues.values()].map((q) => q.close()));
    },
  };
}
