import type { Rule } from '@avfleet/config';
import type { AttemptObserver, ScannerCommonOptions, UpstreamHealthOptions } from '@avfleet/scanners';

/**
 * A rule's options every scanner client takes, already resolved; its
 * type-specific ones are `rule.specific`, typed, and go to
 * `createScanner(ruleToScannerOptions(rule, …), rule.specific)` as they are.
 */
export function ruleToScannerOptions(rule: Rule, upstream: UpstreamHealthOptions, onAttempt?: AttemptObserver): ScannerCommonOptions {
  return {
    // Only the hash-lookup services have no servers (they use Rule.specific.url).
    servers: rule.servers ?? { strategy: 'round-robin', explicitStrategy: false, entries: [] },
    timeoutSec: rule.timeout,
    retransmits: rule.retransmits,
    upstream: { errorTimeSec: upstream.errorTimeSec, maxErrors: upstream.maxErrors, reviveTimeSec: upstream.reviveTimeSec },
    defaultScore: rule.defaultScore,
    ...(onAttempt ? { onAttempt } : {}),
  };
}
