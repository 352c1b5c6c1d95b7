import type { Rule, UpstreamLimits } from '@avfleet/config';
import { icapSettingsFromConfig, type AttemptObserver, type HttpScannerExtras, type ScannerClientOptions } from '@avfleet/scanners';

/** Where the rule model meets the client options: everything already resolved. */
export function ruleToScannerOptions(rule: Rule, upstream: UpstreamLimits, onAttempt?: AttemptObserver): ScannerClientOptions {
  const hashService = rule.specific.type === 'virustotal' || rule.specific.type === 'metadefender';
  if (!rule.servers && !hashService) {
    throw new Error(`rule '${rule.name}' (type ${rule.type}) has no servers; add servers = "host:port" to the rule`);
  }
  return {
    // Hash-lookup services have no servers (they use Rule.specific.url).
    servers: rule.servers ?? { strategy: 'round-robin', explicitStrategy: false, entries: [] },
    timeoutSec: rule.timeout,
    retransmits: rule.retransmits,
    upstream: { errorTimeSec: upstream.errorTimeSec, maxErrors: upstream.maxErrors, reviveTimeSec: upstream.reviveTimeSec },
    ...(onAttempt ? { onAttempt } : {}),
    ...socketSpecificOptions(rule.specific),
    ...httpSpecificOptions(rule),
  };
}

/** `Rule.specific` → client options for kaspersky_se, the hash services and icap. */
function httpSpecificOptions(rule: Rule): HttpScannerExtras & { tmpdir?: string } {
  const specific = rule.specific;
  switch (specific.type) {
    case 'kaspersky_se':
      return {
        tmpdir: specific.tmpdir,
        useHttps: specific.useHttps,
        useFiles: specific.useFiles,
        keepalive: specific.keepalive,
        authString: specific.authString,
      };
    case 'virustotal':
    case 'metadefender':
      return {
        apikey: specific.apikey,
        url: specific.url,
        minimumEngines: specific.minimumEngines,
        lowCategory: specific.lowCategory,
        mediumCategory: specific.mediumCategory,
        symbols: specific.symbols,
      };
    case 'icap':
      return { ...icapSettingsFromConfig(specific.options), defaultScore: rule.defaultScore };
    default:
      return {};
  }
}

/** `Rule.specific` → client options for the socket scanners that take a temp file (savapi, kaspersky, avast). */
function socketSpecificOptions(specific: Rule['specific']): { tmpdir?: string; productId?: string } {
  switch (specific.type) {
    case 'savapi':
      return { tmpdir: specific.tmpdir, productId: specific.productId };
    case 'kaspersky':
    case 'avast':
      return { tmpdir: specific.tmpdir };
    default:
      return {};
  }
}
