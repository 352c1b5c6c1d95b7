import type { HostPort, QuarantineMode } from '@avfleet/config';
import type { RequestMeta } from '../contracts/request-meta';
import type { ScanResult } from '../contracts/scan-result';
import type { FleetMetrics } from '../observe/fleet-metrics';
import type { Logger } from '../observe/logger';
import type { ObjectStore } from '../store/object-store';
import { quarantineKey } from '../store/part-key';
import { StoreError } from '../store/store-error';
import { entryOf, qualifies, type QuarantineEntry } from './quarantine-entry';
import { QuarantineError } from './quarantine-error';
import { EXPIRY_BATCH, type ListPage, type ListQuery, type QuarantineIndex, type QuarantineStats } from './quarantine-index';
import { releasedHeaderValue, sendOverSmtp, withReleasedHeader, type SendRaw } from './release-message';

/** Where a finished scan's raw message is: its bytes (answered without a flow), or its store key (a scan with jobs). */
export type RawSource = Buffer | string;

/** The finished scan's input the entry needs. */
export interface KeepInput {
  readonly meta: RequestMeta;
  readonly receivedAt: number;
}

export interface QuarantineDeps {
  readonly mode: QuarantineMode;
  readonly retentionDays: number;
  readonly releaseSmtp: HostPort | null;
  readonly store: Pick<ObjectStore, 'get' | 'putQuarantined' | 'delete'>;
  readonly index: Pick<QuarantineIndex, 'add' | 'get' | 'update' | 'remove' | 'stats' | 'list' | 'expired'>;
  readonly metrics: Pick<FleetMetrics, 'quarantineEntries' | 'quarantineBytes' | 'quarantineWrites' | 'quarantineReleases' | 'quarantineRemoved'>;
  readonly logger: Logger;
  /** @defaultValue nodemailer's SMTP transport (release-message.ts) */
  readonly send?: SendRaw;
  readonly now?: () => number;
}

/** What a release did. */
export interface Released {
  readonly entry: QuarantineEntry;
  readonly accepted: readonly string[];
  readonly relay: string;
}

/**
 * The quarantine (README "Quarantine"): after the aggregation, a message whose scan qualifies
 * (`qualifies`) is copied to `quarantine/<scan id>.eml` in the object store — outside what the
 * store's retention prunes — and listed in a bounded Redis index (quarantine-index.ts). Kept
 * for `retentionDays`, then removed by `expire` (schedule-quarantine-expiry.ts). Reading,
 * release and delete are for the admin routes of the producer's HTTP API.
 */
export interface Quarantine {
  readonly mode: QuarantineMode;
  /** Keeps a finished scan when it qualifies. Never throws: a failure is logged and counted, the verdict stands. */
  keep(result: ScanResult, input: KeepInput, raw: RawSource): Promise<void>;
  list(query: ListQuery): Promise<ListPage>;
  /** AVF_ERR_QUARANTINE_NOT_FOUND when there is no such entry. */
  get(id: string): Promise<QuarantineEntry>;
  raw(id: string): Promise<Buffer>;
  /** Re-delivers to the relay with the original envelope and X-Avfleet-Released; the entry stays (with its release noted). */
  release(id: string, by: string): Promise<Released>;
  remove(id: string, by: string): Promise<void>;
  /** Removes entries older than the retention, at most `max`; `complete` false when more are left. */
  expire(max?: number): Promise<{ readonly removed: number; readonly complete: boolean; readonly stats: QuarantineStats }>;
}

const DAY_MS = 86_400_000;

export function createQuarantine(deps: QuarantineDeps): Quarantine {
  const now = deps.now ?? Date.now;
  const send = deps.send ?? sendOverSmtp;
  const show = (stats: QuarantineStats): void => {
    deps.metrics.quarantineEntries.set(stats.entries);
    deps.metrics.quarantineBytes.set(stats.bytes);
  };
  /** A store or Redis failure on the admin side: one code, the detail in the message. */
  const unavailable = (err: unknown): never => {
    if (err instanceof QuarantineError) throw err;
    throw new QuarantineError('AVF_ERR_QUARANTINE_UNAVAILABLE', `the quarantine's store or Redis did not answer: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  };
  const getEntry = async (id: string): Promise<QuarantineEntry> => {
    const entry = await deps.index.get(id).catch(unavailable);
    if (!entry) throw new QuarantineError('AVF_ERR_QUARANTINE_NOT_FOUND', `no quarantined message '${id}' (unknown, deleted or expired after AVFLEET_QUARANTINE_DAYS)`);
    return entry;
  };
  const readRaw = async (id: string): Promise<Buffer> => {
    await getEntry(id);
    try {
      return await deps.store.get(quarantineKey(id));
    } catch (err) {
      if (err instanceof StoreError && err.code === 'AVF_ERR_STORE_NOT_FOUND') {
        throw new QuarantineError('AVF_ERR_QUARANTINE_NOT_FOUND', `quarantined message '${id}' has no raw bytes in the store (removed meanwhile)`, { cause: err });
      }
      return unavailable(err);
    }
  };
  /** The store object first, then the index entry: an entry never outlives its bytes for long, and a failed store delete leaves both for the next try. */
  const drop = async (id: string): Promise<QuarantineStats | null> => {
    await deps.store.delete(quarantineKey(id));
    const stats = await deps.index.remove(id);
    if (stats) show(stats);
    return stats;
  };

  return {
    mode: deps.mode,
    async keep(result, input, source) {
      if (!qualifies(deps.mode, result)) return;
      const started = now();
      let key: string | null = null;
      try {
        const raw = typeof source === 'string' ? await deps.store.get(source) : source;
        const entry = entryOf(result, input, raw, started);
        key = await deps.store.putQuarantined(entry.id, raw);
        const added = await deps.index.add(entry, started);
        deps.metrics.quarantineWrites.inc({ outcome: added.outcome });
        if (added.outcome === 'already') return; // a re-run of the same scan's aggregation: the first copy stays (same bytes)
        show(added.stats);
        if (added.outcome === 'full') {
          await deps.store.delete(key).catch(() => undefined);
          deps.logger.warn(
            { code: 'AVF_WARN_QUARANTINE_FULL', scanId: result.id, queueId: input.meta.queueId, entries: added.stats.entries, bytes: added.stats.bytes },
            'quarantine full (AVFLEET_QUARANTINE_MAX_ENTRIES / _MAX_BYTES): message not kept; the verdict stands',
          );
          return;
        }
        deps.logger.info({ scanId: result.id, queueId: input.meta.queueId, action: result.action, size: entry.size }, 'message quarantined');
      } catch (err) {
        deps.metrics.quarantineWrites.inc({ outcome: 'failed' });
        if (key !== null) await deps.store.delete(key).catch(() => undefined);
        deps.logger.error(
          { code: 'AVF_WARN_QUARANTINE_WRITE_FAILED', scanId: result.id, queueId: input.meta.queueId, err: err instanceof Error ? err.message : String(err) },
          'message could not be quarantined; the verdict stands',
        );
      }
    },
    list: (query) => deps.index.list(query).catch(unavailable),
    get: getEntry,
    raw: readRaw,
    async release(id, by) {
      const relay = deps.releaseSmtp;
      if (!relay) throw new QuarantineError('AVF_ERR_RELEASE_NOT_CONFIGURED', 'no release relay: set AVFLEET_RELEASE_SMTP=host:port on the producer');
      const entry = await getEntry(id);
      if (entry.rcpt.length === 0) {
        throw new QuarantineError('AVF_ERR_RELEASE_NO_RECIPIENTS', `quarantined message '${id}' has no envelope recipients (its front end did not know them): it cannot be released; fetch it from /quarantine/${id}/raw`);
      }
      const raw = await readRaw(id);
      const at = new Date(now());
      const relayName = `${relay.host}:${relay.port}`;
      let accepted: readonly string[];
      try {
        ({ accepted } = await send(relay, { from: entry.from ?? '', to: entry.rcpt }, withReleasedHeader(raw, releasedHeaderValue(entry, by, at))));
      } catch (err) {
        deps.metrics.quarantineReleases.inc({ outcome: 'failed' });
        const detail = err instanceof Error ? err.message : String(err);
        deps.logger.warn({ code: 'AVF_ERR_RELEASE_FAILED', id, by, relay: relayName, err: detail }, 'quarantine release failed; the entry is kept');
        throw new QuarantineError('AVF_ERR_RELEASE_FAILED', `the relay ${relayName} did not take quarantined message '${id}' (${detail}); the entry is kept, try again`, { cause: err });
      }
      deps.metrics.quarantineReleases.inc({ outcome: 'delivered' });
      const released: QuarantineEntry = { ...entry, released: { at: at.toISOString(), by, relay: relayName } };
      await deps.index.update(released).catch((err: unknown) => {
        deps.logger.warn({ id, err: err instanceof Error ? err.message : String(err) }, 'released, but the release could not be noted on the entry');
      });
      deps.logger.info({ id, by, relay: relayName, queueId: entry.queue_id, from: entry.from, rcpt: entry.rcpt, accepted }, 'quarantined message released');
      return { entry: released, accepted, relay: relayName };
    },
    async remove(id, by) {
      const entry = await getEntry(id);
      const stats = await drop(id).catch(unavailable);
      if (!stats) throw new QuarantineError('AVF_ERR_QUARANTINE_NOT_FOUND', `no quarantined message '${id}' (removed meanwhile)`);
      deps.metrics.quarantineRemoved.inc({ reason: 'deleted' });
      deps.logger.info({ id, by, queueId: entry.queue_id, size: entry.size }, 'quarantined message deleted');
    },
    async expire(max = EXPIRY_BATCH) {
      const ids = await deps.index.expired(now() - deps.retentionDays * DAY_MS, max);
      let removed = 0;
      for (const id of ids) {
        if (await drop(id)) removed += 1;
      }
      if (removed > 0) deps.metrics.quarantineRemoved.inc({ reason: 'expired' }, removed);
      const stats = await deps.index.stats();
      show(stats);
      return { removed, complete: ids.length < max, stats };
    },
  };
}
