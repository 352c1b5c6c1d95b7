import { parseDurationSeconds, resolveFleetSettings } from '@avfleet/config';
import { RetroMemory, createObjectStore, fleetStoreInput, isPrunable, oldestPendingScanMs, openOneShotRedis, pruneStore } from '@avfleet/core';
import type { CommandArgs } from './command-args';
import { reportSettingsFailure } from './report-config-failure';
import { UsageError } from './usage-error';

/**
 * `avfleet store prune --older-than 7d`: one prune of a folder store by hand, the same run the
 * fleet's workers make every interval (packages/core's prune-store), so objects a scan still in
 * progress may read are kept (it reads the fleet's Redis for that). S3 retention is the bucket's lifecycle rule.
 */
export async function runStorePrune(args: CommandArgs): Promise<number> {
  const olderThan = args.flags['older-than'];
  const seconds = typeof olderThan === 'string' ? parseDurationSeconds(olderThan) : null;
  if (seconds === null || seconds <= 0) {
    throw new UsageError(`avfleet store prune needs --older-than DURATION (a number with s, m, h, d or w, e.g. 7d)${typeof olderThan === 'string' ? `, got '${olderThan}'` : ''}`);
  }
  let settings;
  try {
    settings = resolveFleetSettings({ flags: args.flags, env: args.io.env, role: 'cli', cwd: args.io.cwd });
  } catch (err) {
    return reportSettingsFailure(err, args.io);
  }
  const store = createObjectStore(fleetStoreInput(settings));
  if (!isPrunable(store)) {
    args.io.stderr('avfleet store prune: the S3 store keeps objects as long as the bucket\'s lifecycle rules say; set an expiry rule on messages/ and parts/ instead (README, "The object store")\n');
    return 2;
  }
  const commands = openOneShotRedis(settings);
  try {
    let pending: number | null;
    try {
      pending = await oldestPendingScanMs(commands, settings.queuePrefix);
      // The retro-scan's remembered parts (AVFLEET_RETROSCAN) are kept like a scan in progress: their bytes, and all stored after them.
      const held = await new RetroMemory(commands, settings.queuePrefix, settings.retroscan).oldestStoredAt();
      if (held !== null) pending = pending === null ? held : Math.min(pending, held);
    } catch (err) {
      args.io.stderr(
        `avfleet store prune: cannot read the scans in progress from Redis (${err instanceof Error ? err.message : String(err)}); ` +
          'it needs the fleet\'s Redis to keep what they and the retro-scan still read: check AVFLEET_REDIS_URL / --redis, AVFLEET_REDIS_CLUSTER_NODES and AVFLEET_QUEUE_PREFIX\n',
      );
      return 1;
    }
    const { report } = await pruneStore(store, { retentionMs: seconds * 1000, oldestPendingMs: async () => pending, maxEntries: Number.POSITIVE_INFINITY });
    const removed = report.messages + report.parts;
    args.io.stdout(`removed ${removed} objects older than ${olderThan as string} (${report.messages} messages, ${report.parts} parts, ${report.bytes} bytes)\n`);
    return 0;
  } finally {
    commands.disconnect();
  }
}
