import type { BodyShape } from '../mime/mime-part';
import type { RequestMeta } from './request-meta';

/**
 * What a rescan needs besides the raw message (D69): the request as the intake took it,
 * stored with the message in the same object (store/message-trailer.ts). The envelope,
 * client and Score change a verdict (a rule's IP whitelist, `dynamic_scan`), the shape
 * changes how the bytes are split, and the Queue-Id is shown in the result. The
 * configuration is not kept: a rescan runs with the configuration in force (its digest
 * here says whether it changed). The Deadline is not kept: nobody waits on a rescan.
 */
export interface StoredRequest {
  readonly v: 1;
  readonly shape: BodyShape;
  readonly meta: Omit<RequestMeta, 'deadlineSec'>;
  /** The configuration the first scan ran with (AntivirusConfig.digest). */
  readonly configDigest: string;
}

/** The record's bytes (JSON, UTF-8). */
export function encodeStoredRequest(meta: RequestMeta, shape: BodyShape, configDigest: string): Buffer {
  const { deadlineSec: _deadline, ...kept } = meta;
  const record: StoredRequest = { v: 1, shape, meta: kept, configDigest };
  return Buffer.from(JSON.stringify(record), 'utf8');
}

const NULLABLE_STRINGS = ['ip', 'helo', 'hostname', 'from', 'queueId', 'user'] as const;

/** The request a record holds, its Deadline unset; null when the bytes are not a record of this version. */
export function parseStoredRequest(bytes: Buffer): { readonly shape: BodyShape; readonly meta: RequestMeta; readonly configDigest: string } | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const r = parsed as Partial<Record<keyof StoredRequest, unknown>>;
  if (r.v !== 1 || (r.shape !== 'message' && r.shape !== 'file') || typeof r.configDigest !== 'string') return null;
  const m = r.meta as Partial<Record<keyof RequestMeta, unknown>> | null;
  if (typeof m !== 'object' || m === null) return null;
  if (!NULLABLE_STRINGS.every((f) => m[f] === null || typeof m[f] === 'string')) return null;
  if (!Array.isArray(m.rcpt) || !m.rcpt.every((x) => typeof x === 'string')) return null;
  if (m.score !== null && (typeof m.score !== 'number' || !Number.isFinite(m.score))) return null;
  const meta: RequestMeta = {
    ip: m.ip as string | null, helo: m.helo as string | null, hostname: m.hostname as string | null, from: m.from as string | null,
    rcpt: m.rcpt as string[], queueId: m.queueId as string | null, user: m.user as string | null, score: m.score as number | null, deadlineSec: null,
  };
  return { shape: r.shape, meta, configDigest: r.configDigest };
}
