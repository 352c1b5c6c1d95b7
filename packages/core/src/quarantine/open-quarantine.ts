import type { FleetSettings } from '@avfleet/config';
import type { FleetMetrics } from '../observe/fleet-metrics';
import type { Logger } from '../observe/logger';
import type { ObjectStore } from '../store/object-store';
import { createQuarantine, type Quarantine } from './quarantine';
import { QuarantineIndex, type IndexRedis } from './quarantine-index';

/**
 * The quarantine of a producer or worker, from its settings: its index on the key-value
 * connection (the cluster when AVFLEET_REDIS_CLUSTER_NODES is set; its keys share one slot),
 * its bytes in the fleet's store. Opened whatever AVFLEET_QUARANTINE says — `off` keeps
 * nothing new, but what was kept before stays readable.
 */
export function openQuarantine(opts: {
  readonly settings: Pick<FleetSettings, 'quarantine' | 'queuePrefix'>;
  readonly store: ObjectStore;
  readonly redis: IndexRedis;
  readonly metrics: FleetMetrics;
  readonly logger: Logger;
}): Quarantine {
  const q = opts.settings.quarantine;
  return createQuarantine({
    mode: q.mode, retentionDays: q.retentionDays, releaseSmtp: q.releaseSmtp, store: opts.store,
    index: new QuarantineIndex(opts.redis, opts.settings.queuePrefix, { maxEntries: q.maxEntries, maxBytes: q.maxBytes }),
    metrics: opts.metrics, logger: opts.logger,
  });
}
