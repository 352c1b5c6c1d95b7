import { isIP } from 'node:net';
import {
  EMPTY_META, MAX_META_BYTES, MAX_RECIPIENTS, boundAddress, boundHost, boundQueueId, type MetaField, type RequestMeta,
} from '@avfleet/core';
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

/**
 * What the milter learnt of one message, as core's request metadata (Rspamd's IP, Helo, Hostname,
 * From, Rcpt, Queue-Id). Every value is bounded as it arrives (contracts/field-bounds.ts, the
 * bounds of every front end), so a connection never holds more than MAX_META_BYTES of envelope
 * whatever the MTA sends: long values are cut with a marker, recipients past MAX_RECIPIENTS or
 * MAX_META_BYTES are dropped and counted. Nothing is refused for it: the MTA accepted the envelope.
 */
export interface Envelope {
  ip: string | null;
  hostname: string | null;
  helo: string | null;
  from: string | null;
  rcpt: string[];
  queueId: string | null;
  /** Bytes of the recipients kept. */
  rcptBytes: number;
  /** Recipients dropped past the bounds. */
  rcptDropped: number;
  /** Fields cut (or dropped from) on arrival, for the one log line of the message. */
  cut: Set<MetaField>;
}

export const emptyEnvelope = (): Envelope => ({ ip: null, hostname: null, helo: null, from: null, rcpt: [], queueId: null, rcptBytes: 0, rcptDropped: 0, cut: new Set() });

/** The next message of the connection: its client and HELO stay (and what was cut of them), and the queue id when `keepQueueId`; the rest starts empty. */
export function nextMessage(env: Envelope, keepQueueId: boolean): Envelope {
  const stays = (f: MetaField): boolean => f === 'ip' || f === 'hostname' || f === 'helo' || (keepQueueId && f === 'queueId');
  return { ...emptyEnvelope(), ip: env.ip, hostname: env.hostname, helo: env.helo, queueId: keepQueueId ? env.queueId : null, cut: new Set([...env.cut].filter(stays)) };
}

/** `value` bounded by `bound`, noting `field` in `env.cut` when it changed. */
function kept(env: Envelope, field: MetaField, value: string | null, bound: (v: string | null) => string | null): string | null {
  const b = bound(value);
  if (b !== value) env.cut.add(field);
  return b;
}

export function setClient(env: Envelope, ip: string | null, hostname: string | null): void {
  env.ip = kept(env, 'ip', ip, boundHost);
  env.hostname = kept(env, 'hostname', hostname, boundHost);
}

export function setHelo(env: Envelope, helo: string | null): void {
  env.helo = kept(env, 'helo', helo, boundHost);
}

export function setSender(env: Envelope, from: string | null): void {
  env.from = kept(env, 'from', from, boundAddress);
}

export function setQueueId(env: Envelope, queueId: string | null): void {
  env.queueId = kept(env, 'queueId', queueId, boundQueueId);
}

/** Bytes of the envelope's fields other than the recipients. */
function fixedBytes(env: Envelope): number {
  return [env.ip, env.hostname, env.helo, env.from, env.queueId].reduce((n, v) => n + (v === null ? 0 : Buffer.byteLength(v)), 0);
}

/** One more recipient: kept (cut to its bound) while under MAX_RECIPIENTS and MAX_META_BYTES, else counted as dropped. */
export function addRecipient(env: Envelope, rcpt: string | null): void {
  if (rcpt === null) return;
  const b = kept(env, 'rcpt', rcpt, boundAddress) as string;
  const n = Buffer.byteLength(b);
  if (env.rcpt.length >= MAX_RECIPIENTS || fixedBytes(env) + env.rcptBytes + n > MAX_META_BYTES) {
    env.rcptDropped += 1;
    env.cut.add('rcpt');
    return;
  }
  env.rcpt.push(b);
  env.rcptBytes += n;
}

export function metaOf(env: Envelope, deadlineSec: number): RequestMeta {
  return { ...EMPTY_META, ip: env.ip, hostname: env.hostname, helo: env.helo, from: env.from, rcpt: [...env.rcpt], queueId: env.queueId, deadlineSec };
}
