import { parseDurationSeconds, resolveFleetSettings } from '@avfleet/config';
import { createObjectStore } from '@avfleet/core';
import type { CommandArgs } from './command-args';
import { reportSettingsFailure } from './report-config-failure';
import { UsageError } from './usage-error';

/** `avfleet store prune --older-than 7d`: folder stores only (S3 retention is the bucket's lifecycle rule). */
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
  const store = createObjectStore(settings.store);
  if (!store.prune) {
    args.io.stderr('avfleet store prune: the S3 store keeps objects as long as the bucket\'s lifecycle rules say; set an expiry rule on messages/ and parts/ instead\n');
    return 2;
  }
  const removed = await store.prune(seconds * 1000);
  args.io.stdout(`removed ${removed} objects older than ${olderThan as string}\n`);
  return 0;
}
