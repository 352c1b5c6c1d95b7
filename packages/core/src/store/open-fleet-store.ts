import type { FleetSettings } from '@avfleet/config';
import type { FleetMetrics } from '../observe/fleet-metrics';
import type { Logger } from '../observe/logger';
import { oldestPendingScanMs, type ScanKeysClient } from '../queue/oldest-pending-scan';
import { expirationDays } from './bucket-lifecycle';
import { createObjectStore, type ObjectStoreSettings } from './create-object-store';
import { FolderObjectStore } from './folder-object-store';
import { MinioObjectStore } from './minio-object-store';
import type { ObjectStore } from './object-store';
import { isPrunable } from './prune-store';
import { scheduleStorePruning, type PruneLockClient } from './schedule-store-pruning';
import { STORE_PERMISSIONS, formatMode } from './store-mode';

/** The settings the store of a fleet process is made from. */
export type FleetStoreSettings = Pick<FleetSettings, 'store' | 'storeMode' | 'storeRetentionSec' | 'storeSetLifecycle'>;

/** The store input of the settings: a folder with its mode, a bucket that re-writes parts re-used after half the retention. */
export function fleetStoreInput(settings: FleetStoreSettings): ObjectStoreSettings {
  if (settings.store.kind === 'folder') return { ...settings.store, mode: settings.storeMode };
  const retentionMs = settings.storeRetentionSec === null ? null : (settings.storeRetentionSec * 1000) / 2;
  return { ...settings.store, refreshPartsOlderThanMs: retentionMs };
}

/**
 * The object store of a producer or worker process, and its start-up checks
 * (run in the background, logged, never fatal): folders more open than
 * AVFLEET_STORE_MODE, an S3 bucket with no expiration rule.
 */
export function openFleetStore(settings: FleetStoreSettings, logger: Logger): ObjectStore {
  const store = createObjectStore(fleetStoreInput(settings));
  void checkStoreAtStartup(store, settings, logger);
  return store;
}

/** Logs AVF_WARN_STORE_MODE, AVF_WARN_STORE_NO_LIFECYCLE or AVF_WARN_STORE_LIFECYCLE_UNKNOWN (docs/errors.md); never throws. */
export async function checkStoreAtStartup(store: ObjectStore, settings: FleetStoreSettings, logger: Logger): Promise<void> {
  try {
    if (store instanceof FolderObjectStore) await warnOpenFolders(store, logger);
    else if (store instanceof MinioObjectStore && settings.storeRetentionSec !== null) {
      await checkBucketLifecycle(store, settings.storeRetentionSec, settings.storeSetLifecycle, logger);
    }
  } catch (err) {
    logger.warn({ code: 'AVF_WARN_STORE_LIFECYCLE_UNKNOWN', err: err instanceof Error ? err.message : String(err) }, 'store start-up check failed');
  }
}

async function warnOpenFolders(store: FolderObjectStore, logger: Logger): Promise<void> {
  const allowed = STORE_PERMISSIONS[store.mode].dir;
  for (const open of await store.auditModes()) {
    logger.warn(
      { code: 'AVF_WARN_STORE_MODE', folder: open.path, mode: formatMode(open.mode), storeMode: store.mode, allowed: formatMode(allowed) },
      `store folder is ${formatMode(open.mode)}, more open than AVFLEET_STORE_MODE=${store.mode} (${formatMode(allowed)}); ` +
        'avfleet does not change existing folders: fix it once by hand (README, "The object store")',
    );
  }
}

async function checkBucketLifecycle(store: MinioObjectStore, retentionSec: number, setLifecycle: boolean, logger: Logger): Promise<void> {
  const check = await store.checkLifecycle();
  if (!check.known) {
    logger.warn(
      { code: 'AVF_WARN_STORE_LIFECYCLE_UNKNOWN', bucket: store.bucket, err: check.error },
      'could not read the bucket\'s lifecycle configuration: make sure an expiration rule covers messages/ and parts/ (README, "The object store")',
    );
    return;
  }
  if (check.uncovered.length === 0) return;
  const days = expirationDays(retentionSec);
  if (setLifecycle) {
    await store.addExpirationRules(days);
    logger.info({ bucket: store.bucket, prefixes: check.uncovered, days }, 'added expiration rules to the bucket (AVFLEET_STORE_SET_LIFECYCLE)');
    return;
  }
  logger.warn(
    { code: 'AVF_WARN_STORE_NO_LIFECYCLE', bucket: store.bucket, prefixes: check.uncovered, days },
    'no expiration rule covers these prefixes: stored mail is kept forever; add the rule (README, "The object store") or set AVFLEET_STORE_SET_LIFECYCLE=true',
  );
}

export interface StoreRetentionDeps {
  readonly store: ObjectStore;
  readonly settings: Pick<FleetSettings, 'storeRetentionSec' | 'queuePrefix'>;
  readonly redis: PruneLockClient & ScanKeysClient;
  readonly metrics: Pick<FleetMetrics, 'storePrunedObjects' | 'storePrunedBytes' | 'storePruneRuns'>;
  readonly logger: Logger;
  /** @defaultValue pruneIntervalMs(retention) */
  readonly intervalMs?: number;
  /** The retro-scan's oldest remembered bytes (ms; null: none): kept like a scan in progress (AVFLEET_RETROSCAN_WINDOW). */
  readonly holdSince?: () => Promise<number | null>;
}

/** Automatic pruning of a folder store (a worker serving `aggregate` calls this); a no-op for S3 or with retention off. Returns a stop function. */
export function startStoreRetention(deps: StoreRetentionDeps): () => void {
  const { store, settings } = deps;
  if (!isPrunable(store) || settings.storeRetentionSec === null) return () => undefined;
  return scheduleStorePruning({
    store,
    redis: deps.redis,
    queuePrefix: settings.queuePrefix,
    retentionMs: settings.storeRetentionSec * 1000,
    oldestPendingMs: async () => earliest(await oldestPendingScanMs(deps.redis, settings.queuePrefix), deps.holdSince ? await deps.holdSince() : null),
    metrics: deps.metrics,
    logger: deps.logger,
    intervalMs: deps.intervalMs,
  });
}

/** The earlier of two optional times. */
function earliest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}
