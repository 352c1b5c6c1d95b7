import { readWhitelistFile, whitelistHasIp, whitelistHasName, type Rule } from '@avfleet/config';
import type { Whitelist } from '../aggregate';

/** The sender-IP half of a rule's whitelist (semantics.md §2, D31). */
export interface IpWhitelist {
  containsIp(ip: string): boolean;
}

export interface RuleWhitelists {
  readonly names: ReadonlyMap<string, Whitelist>;
  readonly ips: ReadonlyMap<string, IpWhitelist>;
}

/**
 * Reads each rule's `whitelist` map once at start-up. A map that cannot be
 * read is a start-up error naming the rule and the location.
 */
export function loadWhitelists(rules: readonly Rule[]): RuleWhitelists {
  const names = new Map<string, Whitelist>();
  const ips = new Map<string, IpWhitelist>();
  for (const rule of rules) {
    if (!rule.whitelist) continue;
    let map;
    try {
      map = readWhitelistFile(rule.whitelist);
    } catch (err) {
      throw new Error(`rule '${rule.name}': cannot read whitelist '${rule.whitelist}': ${(err as Error).message}; fix the path or remove the option`, { cause: err });
    }
    const m = map;
    if (m.names.size > 0) names.set(rule.name, { hasName: (text) => whitelistHasName(m, text) });
    if (m.ipRanges.length > 0) ips.set(rule.name, { containsIp: (ip) => whitelistHasIp(m, ip) });
  }
  return { names, ips };
}
