import type { IncomingHttpHeaders } from 'node:http';
import type { RequestMeta } from '@avfleet/core';
import { ApiError } from '../errors';

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

/** Rspamd's request headers (IP, Helo, Hostname, From, Rcpt…, Queue-Id, User) plus Score and Deadline. */
export function readRequestMeta(h: IncomingHttpHeaders, rawHeaders: readonly string[]): RequestMeta {
  const rcpt: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() === 'rcpt') {
      for (const r of rawHeaders[i + 1].split(',')) if (r.trim()) rcpt.push(r.trim());
    }
  }
  const deadline = num('Deadline', one(h.deadline));
  if (deadline !== null && deadline < 0) throw new ApiError('AVF_ERR_BAD_REQUEST', 'header Deadline must be a non-negative number of seconds');
  return {
    ip: one(h.ip),
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
