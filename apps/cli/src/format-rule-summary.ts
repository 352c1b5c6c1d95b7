import { formatServerEntry, type Rule } from '@avfleet/config';
import { isHashService, type ServerEntry, type ServerList } from '@avfleet/scanners';

/** An entry as it would be written: config's formatServerEntry plus a priority other than 0 (not on unix sockets). */
function formatEntry(e: ServerEntry): string {
  return e.kind !== 'unix' && e.priority !== 0 ? `${formatServerEntry(e)}:${e.priority}` : formatServerEntry(e);
}

/** `master-slave:10.0.0.1:3310:10,10.0.0.2:3310` — the server list as it would be written. */
function formatServerList(list: ServerList): string {
  const entries = list.entries.map(formatEntry).join(',');
  return list.explicitStrategy ? `${list.strategy}:${entries}` : entries;
}

const num = (n: number): string => String(Math.round(n * 1000) / 1000);

function formatServers(rule: Rule): string {
  if (rule.servers) return formatServerList(rule.servers);
  const s = rule.specific;
  return isHashService(s) ? `none (HTTPS API ${s.url})` : 'none';
}

/**
 * One line of `avfleet config check` (worst-case time: every attempt timing out, docs/semantics.md §9):
 * `clamav: type clamav, servers 127.0.0.1:3310, symbol CLAM_VIRUS, worst-case time 30 s (timeout 10 s × (1 + 2 retransmits))`
 */
export function formatRuleSummary(rule: Rule): string {
  const time = `worst-case time ${num(rule.maxScanTime)} s (timeout ${num(rule.timeout)} s × (1 + ${rule.retransmits} retransmits))`;
  return `${rule.name}: type ${rule.type}, servers ${formatServers(rule)}, symbol ${rule.symbol}, ${time}`;
}
