import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * True when no token is configured, or the request carries it as
 * `Authorization: Bearer TOKEN` or Rspamd's `Password: TOKEN` (what `rspamc -P` sends).
 * Compared in constant time (both sides hashed to equal length first).
 */
export function isAuthorized(headers: IncomingHttpHeaders, token: string | null): boolean {
  if (!token) return true;
  const want = digest(token);
  const candidates: string[] = [];
  const auth = headers.authorization;
  if (typeof auth === 'string' && /^Bearer\s+/i.test(auth)) candidates.push(auth.replace(/^Bearer\s+/i, '').trim());
  const pw = headers.password;
  if (typeof pw === 'string') candidates.push(pw.trim());
  let ok = false;
  for (const c of candidates) ok = timingSafeEqual(digest(c), want) || ok;
  return ok;
}
