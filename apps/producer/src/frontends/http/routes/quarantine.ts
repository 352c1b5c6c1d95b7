import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseCursor, type ListQuery, type Quarantine } from '@avfleet/core';
import { ApiError } from '../api-error';
import { sendJson } from '../respond';

/** The quarantine's routes (route labels are bounded: the id never becomes one). */
export type QuarantineRoute = 'quarantine_list' | 'quarantine_entry' | 'quarantine_raw' | 'quarantine_release';

/** Path → quarantine route and its entry id (still URL-encoded); null when the path is not one. */
export function matchQuarantinePath(path: string): { readonly route: QuarantineRoute; readonly id: string | null; readonly methods: readonly string[] } | null {
  if (path === '/quarantine' || path === '/quarantine/') return { route: 'quarantine_list', id: null, methods: ['GET', 'HEAD'] };
  const m = /^\/quarantine\/([^/]+)(\/raw|\/release)?$/.exec(path);
  if (!m) return null;
  if (m[2] === '/raw') return { route: 'quarantine_raw', id: m[1]!, methods: ['GET', 'HEAD'] };
  if (m[2] === '/release') return { route: 'quarantine_release', id: m[1]!, methods: ['POST'] };
  return { route: 'quarantine_entry', id: m[1]!, methods: ['GET', 'HEAD', 'DELETE'] };
}

/**
 * The admin routes of the quarantine (docs/interfaces.md §7), a thin adapter over core's
 * Quarantine: `who` is the admin token's id (auth.ts `tokenId`), logged with each release and delete.
 */
export async function serveQuarantine(
  req: IncomingMessage, res: ServerResponse, url: URL, match: NonNullable<ReturnType<typeof matchQuarantinePath>>,
  quarantine: Pick<Quarantine, 'list' | 'get' | 'raw' | 'release' | 'remove'>, who: string,
): Promise<number> {
  if (match.route === 'quarantine_list') {
    sendJson(res, 200, await quarantine.list(listQuery(url)));
    return 200;
  }
  const id = entryId(match.id as string);
  switch (match.route) {
    case 'quarantine_raw': {
      const raw = await quarantine.raw(id);
      res.writeHead(200, { 'content-type': 'message/rfc822', 'content-length': String(raw.length), 'content-disposition': `attachment; filename="${id}.eml"` });
      res.end(req.method === 'HEAD' ? undefined : raw);
      return 200;
    }
    case 'quarantine_release': {
      const released = await quarantine.release(id, who);
      sendJson(res, 200, { id, released: released.entry.released, accepted: released.accepted });
      return 200;
    }
    default:
      if (req.method === 'DELETE') {
        await quarantine.remove(id, who);
        sendJson(res, 200, { id, deleted: true });
        return 200;
      }
      sendJson(res, 200, await quarantine.get(id));
      return 200;
  }
}

/** An entry id as the store takes it (a scan id, or any 1–64 of A-Z a-z 0-9 _ -); otherwise no such entry. */
function entryId(raw: string): string {
  let id: string;
  try {
    id = decodeURIComponent(raw);
  } catch {
    id = raw;
  }
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new ApiError('AVF_ERR_QUARANTINE_NOT_FOUND', `no quarantined message '${id.slice(0, 80)}'`);
  return id;
}

/** `since`, `until` (ISO 8601 or ms since the epoch), `rcpt`, `symbol`, `limit` (1–500), `cursor` (a page's next_cursor). */
export function listQuery(url: URL): ListQuery {
  const p = url.searchParams;
  const known = new Set(['since', 'until', 'rcpt', 'symbol', 'limit', 'cursor']);
  for (const k of p.keys()) if (!known.has(k)) throw new ApiError('AVF_ERR_BAD_REQUEST', `unknown parameter '${k}'; GET /quarantine takes ${[...known].join(', ')}`);
  const time = (name: string): number | undefined => {
    const v = p.get(name);
    if (v === null) return undefined;
    const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
    if (!Number.isFinite(t)) throw new ApiError('AVF_ERR_BAD_REQUEST', `${name} must be an ISO 8601 time or ms since the epoch, got '${v.slice(0, 80)}'`);
    return t;
  };
  const limitText = p.get('limit');
  let limit: number | undefined;
  if (limitText !== null) {
    limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new ApiError('AVF_ERR_BAD_REQUEST', `limit must be an integer from 1 to 500, got '${limitText.slice(0, 80)}'`);
  }
  const cursorText = p.get('cursor');
  const cursor = cursorText === null ? undefined : parseCursor(cursorText);
  if (cursor === null) throw new ApiError('AVF_ERR_BAD_REQUEST', 'cursor must be the next_cursor of a previous page');
  const since = time('since');
  const until = time('until');
  const rcpt = p.get('rcpt');
  const symbol = p.get('symbol');
  return {
    ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}),
    ...(rcpt !== null ? { rcpt } : {}), ...(symbol !== null ? { symbol } : {}),
    ...(limit !== undefined ? { limit } : {}), ...(cursor !== undefined ? { cursor } : {}),
  };
}
