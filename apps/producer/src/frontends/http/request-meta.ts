import { isIP } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { MAX_REQUESTED_SEC, MAX_WAIT_SEC, type RequestMeta } from '@avfleet/core';
import { ApiError } from './api-error';

const one = (v: string | string[] | undefined): string | null => {
  if (v === undefined) return null;
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s.trim() === '' ? null : s.trim();
};

function num(name: string, v: string | null): number | null {
  if (v === null) return null;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new ApiError('AVF_ERR_BAD_REQUEST', `header ${name} must be a number, got '${v}'`);
  return n;
}

/** How the `IP` header is read: `/checkv2` takes it as Rspamd's proxy writes it, the other routes as documented for them. */
export interface RequestMetaOptions {
  /**
   * Rspamd's form: `a.b.c.d:port` and `[v6]:port` (what its milter mode sends,
   * src/libserver/milter.c `rspamd_milter_to_http` via
   * src/libutil/addr.c `rspamd_inet_address_to_string_pretty`) → the address;
   * a unix socket path (`/…`, the same function for an AF_UNIX client) → no IP.
   */
  readonly rspamdIp?: boolean;
}

const IPV4_WITH_PORT = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/;
const BRACKETED_WITH_PORT = /^\[([^\]]*)\]:\d{1,5}$/;

/**
 * `IP: 192.0.2.1`, `IP: [2001:db8::1]` or `IP: IPv6:2001:db8::1` → the bare
 * address; with `rspamdIp` also `192.0.2.1:44294`, `[2001:db8::1]:44294`
 * (the port is dropped) and a unix socket path (→ null). Anything else is a 400.
 */
function ip(v: string | null, opts: RequestMetaOptions): string | null {
  if (v === null) return null;
  let s = v;
  if (opts.rspamdIp) {
    if (s.startsWith('/')) return null;
    s = s.replace(IPV4_WITH_PORT, '$1').replace(BRACKETED_WITH_PORT, '$1');
  }
  const bare = s.replace(/^\[(.*)\]$/, '$1').replace(/^ipv6:/i, '');
  if (isIP(bare) === 0) throw new ApiError('AVF_ERR_BAD_REQUEST', `header IP must be an IPv4 or IPv6 address${opts.rspamdIp ? ' (a port is allowed)' : ''}, got '${v}'`);
  return bare;
}

/** Splits a Rcpt value at commas outside quotes and angle brackets (`"Doe, J" <j@x>, k@y` → two). */
export function splitAddressList(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let angle = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && quoted && i + 1 < value.length) {
      cur += c + value[++i];
      continue;
    }
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === '<') angle++;
    else if (!quoted && c === '>' && angle > 0) angle--;
    if (c === ',' && !quoted && angle === 0) {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
    } else {
      cur += c;
    }
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/**
 * Rspamd's request headers (IP, Helo, Hostname, From, Rcpt — repeatable and
 * comma lists —, Queue-Id, User) plus avfleet's Score and Deadline. `Settings`
 * and `Settings-ID` are accepted and not applied (avfleet has no per-request
 * settings); Rspamd's other headers (Filename, Flags, Deliver-To, …) are ignored.
 */
export function readRequestMeta(h: IncomingHttpHeaders, rawHeaders: readonly string[], opts: RequestMetaOptions = {}): RequestMeta {
  const rcpt: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() === 'rcpt') rcpt.push(...splitAddressList(rawHeaders[i + 1]));
  }
  const deadline = num('Deadline', one(h.deadline));
  if (deadline !== null && (deadline < 0 || deadline > MAX_REQUESTED_SEC)) {
    throw new ApiError('AVF_ERR_BAD_REQUEST', `header Deadline must be a number of seconds from 0 to ${MAX_REQUESTED_SEC} (longer than ${MAX_WAIT_SEC} is answered by ${MAX_WAIT_SEC}), got ${deadline}`);
  }
  return {
    ip: ip(one(h.ip), opts),
    helo: one(h.helo),
    hostname: one(h.hostname),
    from: one(h.from),
    rcpt,
    queueId: one(h['queue-id']),
    user: one(h.user),
    score: num('Score', one(h.score)),
    deadlineSec: deadline,
  };
}
