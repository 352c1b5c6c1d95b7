import type { Rule, UpstreamLimits } from '@avfleet/config';
import type { AttemptObserver, ScannerClientOptions } from '@avfleet/scanners';

/** Where the rule model meets the client options: everything already resolved. */
export function ruleToScannerOptions(rule: Rule, upstream: UpstreamLimits, onAttempt?: AttemptObserver): ScannerClientOptions {
  if (!rule.servers) {
    throw new Error(`rule '${rule.name}' (type ${rule.type}) has no servers; hash-lookup services are not available in this version`);
  }
  return {
    servers: rule.servers,
    timeoutSec: rule.timeout,
    retransmits: rule.retransmits,
    upstream: { errorTimeSec: upstream.errorTimeSec, maxErrors: upstream.maxErrors, reviveTimeSec: upstream.reviveTimeSec },
    ...(onAttempt ? { onAttempt } : {}),
  };
}
