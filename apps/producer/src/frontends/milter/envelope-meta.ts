import { isIP } from 'node:net';
import { EMPTY_META, type RequestMeta } from '@avfleet/core';
import type { MilterCommand } from './decode-command';

type Connect = Extract<MilterCommand, { kind: 'connect' }>;

/** The client's IP address from SMFIC_CONNECT (Sendmail may write `IPv6:` before it), or null for a unix socket or unknown. */
export function clientIp(connect: Connect): string | null {
  if (connect.family !== 'inet4' && connect.family !== 'inet6') return null;
  const bare = (connect.address ?? '').replace(/^\[(.*)\]$/, '$1').replace(/^ipv6:/i, '');
  return isIP(bare) === 0 ? null : bare;
}

/** The client's host name, or null when the MTA could not resolve it (Postfix `unknown`, Sendmail `[addr]`). */
export function clientHostname(connect: Connect): string | null {
  const h = connect.hostname.trim();
  return h === '' || h === 'unknown' || h.startsWith('[') ? null : h;
}

/** `<a@example.org>` → `a@example.org`; the null sender `<>` → null. */
export function envelopeAddress(arg: string | undefined): string | null {
  const bare = (arg ?? '').trim().replace(/^<(.*)>$/, '$1').trim();
  return bare === '' ? null : bare;
}

/** The queue id macro: Postfix and Sendmail name it `i` (some configurations `{i}`). */
export function queueIdOf(macros: ReadonlyMap<string, string>): string | null | undefined {
  const v = macros.get('i') ?? macros.get('{i}');
  return v === undefined ? undefined : v.trim() === '' ? null : v.trim();
}

/** What the milter learnt of one message, as core's request metadata (Rspamd's IP, Helo, Hostname, From, Rcpt, Queue-Id). */
export interface Envelope {
  ip: string | null;
  hostname: string | null;
  helo: string | null;
  from: string | null;
  rcpt: string[];
  queueId: string | null;
}

export function metaOf(env: Envelope, deadlineSec: number): RequestMeta {
  return { ...EMPTY_META, ip: env.ip, hostname: env.hostname, helo: env.helo, from: env.from, rcpt: [...env.rcpt], queueId: env.queueId, deadlineSec };
}
