import type { ServerEntry, ServerList, ServerStrategy } from '@avfleet/scanners';

/**
 * `servers` grammar (docs/semantics.md §10.1):
 *   servers = [strategy ":"] entry { separator entry }
 *   entry   = host[:port[:priority]] | "[" ipv6 "]"[:port[:priority]] | unix-path | "service=" name "+" domain [":" priority]
 */
export interface ParsedServers {
  /** null when no entry could be parsed. */
  readonly servers: ServerList | null;
  /** Entries that did not parse (skipped, as Rspamd does). */
  readonly rejected: readonly string[];
}

const STRATEGIES: readonly ServerStrategy[] = ['random', 'master-slave', 'round-robin', 'hash'];
const SEPARATORS = /[,;\s]+/;
const HOSTNAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_.])?$/;
const IPV6 = /^[0-9A-Fa-f:.]+(?:%[A-Za-z0-9_.-]+)?$/;
const DIGITS = /^\d+$/;

function parsePort(s: string): number | null {
  if (!DIGITS.test(s)) return null;
  const n = Number(s);
  return n <= 65535 ? n : null;
}

function parsePriority(s: string): number | null {
  return DIGITS.test(s) ? Number(s) : null;
}

/** Port and priority after the host part: "" | ":port" | ":port:priority". */
function parseTail(tail: string, defaultPort: number): { port: number; priority: number } | null {
  if (tail === '') return { port: defaultPort, priority: 0 };
  if (!tail.startsWith(':')) return null;
  const parts = tail.slice(1).split(':');
  if (parts.length > 2) return null;
  const port = parsePort(parts[0] ?? '');
  if (port === null) return null;
  if (parts.length === 1) return { port, priority: 0 };
  const priority = parsePriority(parts[1] ?? '');
  return priority === null ? null : { port, priority };
}

/** One entry, or null when it does not parse. */
export function parseServerEntry(token: string, defaultPort: number): ServerEntry | null {
  if (token.startsWith('/') || token.startsWith('.')) {
    return { kind: 'unix', path: token, priority: 0 };
  }
  if (token.startsWith('service=')) {
    const m = /^service=([^+:]+)\+([^:]+)(?::(\d+))?$/.exec(token);
    if (!m || !HOSTNAME.test(m[2] ?? '')) return null;
    return { kind: 'srv', service: m[1] ?? '', domain: m[2] ?? '', priority: m[3] ? Number(m[3]) : 0 };
  }
  if (token.startsWith('[')) {
    const close = token.indexOf(']');
    if (close < 0) return null;
    const host = token.slice(1, close);
    if (!IPV6.test(host) || !host.includes(':')) return null;
    const tail = parseTail(token.slice(close + 1), defaultPort);
    return tail ? { kind: 'tcp', host, ...tail } : null;
  }
  const colon = token.indexOf(':');
  const host = colon < 0 ? token : token.slice(0, colon);
  if (!HOSTNAME.test(host)) return null;
  const tail = parseTail(colon < 0 ? '' : token.slice(colon), defaultPort);
  return tail ? { kind: 'tcp', host, ...tail } : null;
}

/**
 * Parse one string or a list of strings into one pool. The strategy prefix is
 * recognised only at the very start of a string; the last one seen wins (as
 * in Rspamd). With `master-slave`, a first entry without priority gets 1.
 */
export function parseServers(input: string | readonly string[], defaultPort: number): ParsedServers {
  const strings = typeof input === 'string' ? [input] : input;
  let strategy: ServerStrategy = 'round-robin';
  let explicitStrategy = false;
  const entries: ServerEntry[] = [];
  const rejected: string[] = [];
  for (const raw of strings) {
    let text = raw.trim();
    for (const s of STRATEGIES) {
      if (text.startsWith(`${s}:`)) {
        strategy = s;
        explicitStrategy = true;
        text = text.slice(s.length + 1);
        break;
      }
    }
    for (const token of text.split(SEPARATORS)) {
      if (token === '') continue;
      const entry = parseServerEntry(token, defaultPort);
      if (entry) entries.push(entry);
      else rejected.push(token);
    }
  }
  if (entries.length === 0) return { servers: null, rejected };
  const first = entries[0];
  if (strategy === 'master-slave' && first && first.priority === 0) {
    entries[0] = { ...first, priority: 1 };
  }
  return { servers: { strategy, explicitStrategy, entries }, rejected };
}

/** `host:port`, `[v6]:port`, a path or `service=…`, for logs and `config check`. */
export function formatServerEntry(e: ServerEntry): string {
  switch (e.kind) {
    case 'unix':
      return e.path;
    case 'srv':
      return `service=${e.service}+${e.domain}`;
    case 'tcp':
      return e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
  }
}
