import type { Logger } from '../observe/logger';
import type { RetroScanStarter } from './start-retro-scan';

/** The Redis command the guard needs (ioredis). */
export interface GuardRedis {
  set(key: string, value: string, ex: 'EX', sec: number, nx: 'NX'): Promise<'OK' | null>;
}

/** Redis key marking that the retro-scan for (rule, version) was started (or the version was seen before a change). */
export function versionGuardKey(queuePrefix: string, rule: string, version: string): string {
  return `${queuePrefix}:{retro}:version:${rule}:${version}`;
}

/**
 * Whether this process starts the retro-scan for `rule`'s change from `previous` to `current`:
 * exactly one claim per (rule, version) in the fleet for the window (`SET NX`), however many
 * workers see the change. `previous` is marked first, so a fleet whose workers flap between the
 * old and the new version while their scanners' cached versions catch up starts no scan for the
 * old version coming back.
 */
export async function claimVersionRun(redis: GuardRedis, queuePrefix: string, rule: string, previous: string, current: string, windowSec: number): Promise<boolean> {
  const ttl = Math.max(1, Math.ceil(windowSec));
  await redis.set(versionGuardKey(queuePrefix, rule, previous), 'seen', 'EX', ttl, 'NX');
  return (await redis.set(versionGuardKey(queuePrefix, rule, current), 'started', 'EX', ttl, 'NX')) === 'OK';
}

/**
 * The signature-version watcher's callback (scan/signature-versions.ts `onChange`): a change
 * claims the (rule, version) run and starts one retro-scan of the rule's whole window. Failures
 * are logged (the next change tries again; POST /retroscan starts one by hand).
 */
export function onVersionChange(deps: {
  readonly redis: GuardRedis;
  readonly queuePrefix: string;
  readonly windowSec: number;
  readonly starter: Pick<RetroScanStarter, 'start'>;
  readonly logger: Logger;
  readonly now?: () => number;
}): (rule: string, previous: string, current: string) => void {
  const now = deps.now ?? Date.now;
  return (rule, previous, current) => {
    void (async () => {
      if (!(await claimVersionRun(deps.redis, deps.queuePrefix, rule, previous, current, deps.windowSec))) return;
      deps.logger.info({ rule, previous, current }, 'signature version changed: retro-scan of the window');
      await deps.starter.start(rule, { since: now() - deps.windowSec * 1000, trigger: 'version' });
    })().catch((err: unknown) => {
      deps.logger.warn(
        { code: 'AVF_WARN_RETROSCAN_START_FAILED', rule, previous, current, err: err instanceof Error ? err.message : String(err) },
        'retro-scan after a signature version change could not be started; start it with POST /retroscan',
      );
    });
  };
}
