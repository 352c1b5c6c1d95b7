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
  return checkToken(headers, token) === 'ok';
}

/** The tokens a request offers: `Authorization: Bearer TOKEN`, `Password: TOKEN`. */
function offeredTokens(headers: IncomingHttpHeaders): string[] {
  const candidates: string[] = [];
  const auth = headers.authorization;
  if (typeof auth === 'string' && /^Bearer\s+/i.test(auth)) candidates.push(auth.replace(/^Bearer\s+/i, '').trim());
  const pw = headers.password;
  if (typeof pw === 'string') candidates.push(pw.trim());
  return candidates;
}

/** `missing`: no token offered (401); `wrong`: one offered, not this one (403 on the admin routes); `ok`. Constant time per candidate. */
export function checkToken(headers: IncomingHttpHeaders, token: string): 'ok' | 'missing' | 'wrong' {
  const want = digest(token);
  const candidates = offeredTokens(headers);
  if (candidates.length === 0) return 'missing';
  let ok = false;
  for (const c of candidates) ok = timingSafeEqual(digest(c), want) || ok;
  return ok ? 'ok' : 'wrong';
}

/** Who used a token, for logs: `admin:` and the first 12 hex digits of its SHA-256, never the token. */
export function tokenId(token: string): string {
  return `admin:${digest(token).toString('hex').slice(0, 12)}`;
}
