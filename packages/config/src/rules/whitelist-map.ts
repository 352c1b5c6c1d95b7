import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { fileURLToPath } from 'node:url';

/**
 * The `whitelist` map (docs/semantics.md §2, §7.3, D31): one entry per line, `#`
 * comments (`\#` escapes), first whitespace-delimited word or a double-quoted
 * string. Entries that are IPv4/IPv6 addresses or CIDR ranges skip scanning
 * for mail from that client; every other entry is a threat name, compared
 * case-insensitively.
 */
export interface IpRange {
  readonly family: 'ipv4' | 'ipv6';
  readonly address: string;
  readonly prefix: number;
}

export interface WhitelistMap {
  readonly ipRanges: readonly IpRange[];
  /** Threat names, lower-cased. */
  readonly names: ReadonlySet<string>;
  readonly blockList: BlockList;
}

/** The entry of one line, or null for blank and comment lines. */
export function parseWhitelistLine(line: string): string | null {
  const s = line.replace(/^\s+/, '');
  if (s === '' || s.startsWith('#')) return null;
  if (s.startsWith('"')) {
    let out = '';
    for (let i = 1; i < s.length; i++) {
      const c = s[i];
      if (c === '\\' && i + 1 < s.length) out += s[++i];
      else if (c === '"') return out;
      else out += c;
    }
    return out === '' ? null : out;
  }
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? '';
    if (c === '\\' && s[i + 1] === '#') {
      out += '#';
      i++;
    } else if (c === '#' || /\s/.test(c)) break;
    else out += c;
  }
  return out === '' ? null : out;
}

/** An IP or CIDR entry (`192.0.2.7`, `10.0.0.0/8`, `2001:db8::/32`), or null for a name. */
export function parseIpRange(entry: string): IpRange | null {
  const slash = entry.indexOf('/');
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return null;
  const max = family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = entry.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) return null;
    prefix = Number(p);
  }
  return { family: family === 4 ? 'ipv4' : 'ipv6', address, prefix };
}

export function parseWhitelistMap(text: string): WhitelistMap {
  const ipRanges: IpRange[] = [];
  const names = new Set<string>();
  const blockList = new BlockList();
  for (const line of text.split(/\r?\n/)) {
    const entry = parseWhitelistLine(line);
    if (entry === null) continue;
    const range = parseIpRange(entry);
    if (range) {
      ipRanges.push(range);
      blockList.addSubnet(range.address, range.prefix, range.family);
    } else names.add(entry.toLowerCase());
  }
  return { ipRanges, names, blockList };
}

/** Case-insensitive whole-string comparison with the name entries. */
export function whitelistHasName(map: WhitelistMap, text: string): boolean {
  return map.names.has(text.toLowerCase());
}

/** Whether a client IP falls in an IP/CIDR entry (IPv4-mapped IPv6 is checked as IPv4). */
export function whitelistHasIp(map: WhitelistMap, ip: string): boolean {
  if (map.ipRanges.length === 0) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const addr = mapped?.[1] ?? ip;
  const family = isIP(addr);
  if (family === 0) return false;
  return map.blockList.check(addr, family === 4 ? 'ipv4' : 'ipv6');
}

/** Read a local map (`/path` or `file://…`); http(s) locations are fetched by the caller. */
export function readWhitelistFile(location: string): WhitelistMap {
  const path = location.startsWith('file://') ? fileURLToPath(location) : location;
  return parseWhitelistMap(readFileSync(path, 'utf8'));
}
