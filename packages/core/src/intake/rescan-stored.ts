import type { BodyShape } from '../mime/mime-part';
import type { RequestMeta } from '../contracts/request-meta';
import type { ScanResult } from '../contracts/scan-result';
import { parseStoredRequest } from '../contracts/stored-request';
import { scanIdTime } from '../contracts/scan-id';
import type { Logger } from '../observe/logger';
import type { ObjectStore } from '../store/object-store';
import { messageKey } from '../store/part-key';
import type { AcceptedMessage, ScanAgain } from './accept-message';

/** What a rescan from the store reads and runs (open-intake.ts wires it). */
export interface RescanStoredDeps {
  readonly store: Pick<ObjectStore, 'getMessageRecord' | 'get'>;
  /** The normal intake (acceptMessage) run again for this scan id and its stored message. */
  readonly accept: (raw: Buffer, meta: RequestMeta, shape: BodyShape, again: ScanAgain) => Promise<AcceptedMessage>;
  /**
   * Claims the scan's rescan in Redis for a while (SET NX with a TTL): false when another
   * request or producer has claimed it, so one stored message is enqueued once.
   */
  readonly claim: (scanId: string) => Promise<boolean>;
  /** Gives the claim back when the rescan could not be enqueued (a later request tries again). */
  readonly release: (scanId: string) => Promise<void>;
  /** How long a result lives (AVFLEET_RESULT_TTL): a scan older than that has expired, not been lost. */
  readonly resultTtlMs: number;
  /** The configuration the rescan runs with (a rescan of a scan made under another one is logged as such). */
  readonly configDigest: string;
  readonly logger: Logger;
  /** Counts rescans from the store (avfleet_scans_reenqueued_total{reason="result_lost"}). */
  readonly counted?: () => void;
  readonly now?: () => number;
}

/**
 * What a rescan found: `rescanning` (enqueued again, or another request did it), `done`
 * (every verdict was in the cache: the result is stored again at once), `no_request` (the
 * message is stored without its request — before D69 — so it cannot be scanned as it was:
 * resubmit it), or null (no such message stored, or its result would have expired anyway).
 */
export type RescanOutcome =
  | { readonly kind: 'rescanning' }
  | { readonly kind: 'done'; readonly result: ScanResult }
  | { readonly kind: 'no_request' }
  | null;

/**
 * A scan that has neither result nor state in Redis, and that no producer process is
 * tracking (queue/reconcile-scans.ts), is rebuilt from the object store (D69): the raw
 * message and the request stored with it go through the normal intake again under the
 * same scan id — cache probe, part jobs, aggregation — and its result is stored as any
 * result. The message is not written again. Only scans whose result would still be live
 * (younger than the result TTL) are rebuilt; one claim in Redis per scan keeps two
 * requests (or producers) from enqueueing it twice.
 */
export async function rescanStored(scanId: string, deps: RescanStoredDeps): Promise<RescanOutcome> {
  const at = scanIdTime(scanId);
  const now = deps.now?.() ?? Date.now();
  if (at === null || now - at >= deps.resultTtlMs) return null;
  const key = messageKey(scanId, new Date(at));
  const record = await deps.store.getMessageRecord(key).catch((err: unknown) => {
    if ((err as { code?: string }).code === 'AVF_ERR_STORE_NOT_FOUND') return undefined;
    throw err;
  });
  if (record === undefined) return null;
  const request = record === null ? null : parseStoredRequest(record);
  if (!request) return { kind: 'no_request' };
  if (!(await deps.claim(scanId))) return { kind: 'rescanning' };
  try {
    const raw = await deps.store.get(key);
    const accepted = await deps.accept(raw, request.meta, request.shape, { scanId, messageKey: key });
    deps.counted?.();
    deps.logger.warn(
      { code: 'AVF_WARN_SCANS_REENQUEUED', scanId, resultLost: 1, jobs: accepted.jobs, configChanged: deps.configDigest !== request.configDigest },
      'a scan whose result Redis lost was rebuilt from the stored message and its request',
    );
    return accepted.result ? { kind: 'done', result: accepted.result } : { kind: 'rescanning' };
  } catch (err) {
    await deps.release(scanId).catch(() => undefined);
    throw err;
  }
}

/**
 * Runs at most `max` rescans at once in this process, the others waiting in turn: each holds
 * its whole message in memory (up to AVFLEET_MAX_MESSAGE_BYTES) outside the front ends'
 * byte budget, and many clients asking for lost scans at once must not hold them all.
 */
export function rescanGate(max: number): <T>(run: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (run) => {
    if (running >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    else running += 1;
    try {
      return await run();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  };
}
