import type { Rule } from '@avfleet/config';
import { isHashService, type AttemptObserver, type SocketScannerOptions, type UpstreamHealthOptions } from '@avfleet/scanners';

/**
 * A rule's options every scanner client takes, already resolved; its
 * type-specific ones are `rule.specific`, typed, and go to
 * `createScanner(ruleToScannerOptions(rule, …), rule.specific)` as they are.
 */
export function ruleToScannerOptions(rule: Rule, upstream: UpstreamHealthOptions, onAttempt?: AttemptObserver): SocketScannerOptions {
  if (!rule.servers && !isHashService(rule.specific)) {
    throw new Error(`rule '${rule.name}' (type ${rule.type}) has no servers; add servers = "host:port" to the rule`);
  }
  return {
    // Hash-lookup services have no servers (they use Rule.specific.url).
    servers: rule.servers ?? { strategy: 'round-robin', explicitStrategy: false, entries: [] },
    timeoutSec: rule.timeout,
    retransmits: rule.retransmits,
    upstream: { errorTimeSec: upstream.errorTimeSec, maxErrors: upstream.maxErrors, reviveTimeSec: upstream.reviveTimeSec },
    defaultScore: rule.defaultScore,
    ...(onAttempt ? { onAttempt } : {}),
  };
}
