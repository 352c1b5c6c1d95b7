import { randomUUID } from 'node:crypto';
import { scanIdTime } from '../contracts/scan-id';
import type { Logger } from '../observe/logger';
import type { RescanOutcome } from './rescan-stored';

/** What the recovery reads and runs (open-intake.ts wires it to Redis, the store and rescanStored). */
export interface StoreRecoveryDeps {
  /** The fleet's marker key in Redis: its value, or null when Redis has none (lost its data, or never had it). */
  readMarker(): Promise<string | null>;
  /** Sets the marker when it is missing (SET NX, no TTL): true for the one process that set it. */
  claimMarker(value: string): Promise<boolean>;
  /** Ids of the messages stored on a UTC day, ascending, at most `limit` (ObjectStore.listMessageIds). */
  listMessageIds(day: Date, limit: number): Promise<string[]>;
  /** For each scan: true when Redis holds neither its result, nor its state, nor a cancel mark. */
  unfinished(scanIds: readonly string[]): Promise<boolean[]>;
  /** Rebuilds one scan from its stored message and request (intake/rescan-stored.ts). */
  rescan(scanId: string): Promise<RescanOutcome>;
  /** Scans older than this have expired results anyway (AVFLEET_RESULT_TTL). */
  readonly resultTtlMs: number;
  readonly logger: Logger;
  readonly now?: () => number;
}

export interface StoreRecoveryOptions {
  /** Stored messages checked per sweep at most. */
  readonly maxChecksPerSweep?: number;
  /** Stored messages one recovery takes from the store at most (the newest days first; `cut` in the log when more were there). */
  readonly maxPerRecovery?: number;
  /**
   * A message younger than this is not checked yet: its accept may still be under way
   * (stored, its state not yet written), which the intake bounds to 10 s (within.ts).
   */
  readonly settleMs?: number;
}

const MAX_CHECKS_PER_SWEEP = 200;
const MAX_PER_RECOVERY = 100_000;
/** The intake's bound on an accept (INTAKE_TIMEOUT_MS, 10 s) 2 x + 1 s, then rounded up. */
const SETTLE_MS = 30_000;
const DAY_MS = 86_400_000;

/**
 * Rebuilding after Redis lost its data (D70). The reconciler of each producer
 * (queue/reconcile-scans.ts) re-enqueues the scans it accepted and has not seen finish, and
 * `GET /scans/:id` rebuilds a scan asked for (intake/rescan-stored.ts); neither covers a
 * scan whose producer died together with Redis's data, nobody asking for it. Here every
 * producer reads one marker key each sweep; when it is gone (Redis restarted without
 * persistence, flushed, or a new empty Redis), producers list the stored messages of the
 * last result TTL (at most `maxPerRecovery`, the newest days first), and the one that sets
 * the marker again (a listing that failed leaves it missing, for the next sweep) keeps its list and, a
 * bounded number per sweep, rebuilds those with neither result, nor state, nor cancel
 * mark — through the same rescan (one claim per scan, so a GET or another producer never
 * enqueues one twice). A message younger than `settleMs` waits: its accept may still be
 * writing its state. A healthy fleet pays one GET per producer per sweep. Not covered: a
 * failover that lost some keys but not the marker (the reconciler and GET cover those), and
 * a recovering producer that dies mid-way (the rest is rebuilt when asked for).
 */
export class StoreRecovery {
  private pending: string[] = [];
  private sweeping = false;
  private readonly maxChecks: number;
  private readonly maxPerRecovery: number;
  private readonly settleMs: number;
  private readonly now: () => number;

  constructor(private readonly deps: StoreRecoveryDeps, opts: StoreRecoveryOptions = {}) {
    this.maxChecks = opts.maxChecksPerSweep ?? MAX_CHECKS_PER_SWEEP;
    this.maxPerRecovery = opts.maxPerRecovery ?? MAX_PER_RECOVERY;
    this.settleMs = opts.settleMs ?? SETTLE_MS;
    this.now = deps.now ?? Date.now;
  }

  /** Stored messages still to check in the recovery under way. */
  get backlog(): number {
    return this.pending.length;
  }

  /** One sweep: looks at the marker, then checks at most `maxChecksPerSweep` stored messages; returns how many were rebuilt. */
  async sweep(): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    try {
      if (this.pending.length === 0 && (await this.deps.readMarker()) === null) {
        // Listed before the marker is set again: a listing that fails leaves the marker missing, so the next sweep tries again.
        const listed = await this.listWindow();
        if (await this.deps.claimMarker(randomUUID())) this.startRecovery(listed);
      }
      return await this.checkSome();
    } finally {
      this.sweeping = false;
    }
  }

  /** Sweeps every `intervalMs` until the returned stop function is called. */
  start(intervalMs: number): () => void {
    const timer = setInterval(() => void this.sweep().catch((err: unknown) => {
      this.deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'rebuild from the store: a sweep failed (tried again at the next)');
    }), intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** The stored messages of the result TTL (at most maxPerRecovery, the newest days first), ascending; `cut` when there were more. */
  private async listWindow(): Promise<{ readonly ids: string[]; readonly cut: boolean }> {
    const now = this.now();
    const from = now - this.deps.resultTtlMs;
    const ids: string[] = [];
    let cut = false;
    // Newest day first, so that past the bound the results furthest from expiring are the ones rebuilt.
    for (let day = Math.floor(now / DAY_MS) * DAY_MS; day + DAY_MS > from && !cut; day -= DAY_MS) {
      const room = this.maxPerRecovery - ids.length;
      const listed = await this.deps.listMessageIds(new Date(day), room + 1);
      if (listed.length > room) cut = true;
      for (const id of listed.slice(0, room)) {
        const at = scanIdTime(id);
        if (at !== null && at > from && at <= now) ids.push(id);
      }
    }
    return { ids: ids.sort(), cut };
  }

  private startRecovery({ ids, cut }: { readonly ids: string[]; readonly cut: boolean }): void {
    this.pending = ids;
    const fields = { code: 'AVF_WARN_REDIS_DATA_LOST', stored: ids.length, windowSec: Math.round(this.deps.resultTtlMs / 1000), cut };
    if (ids.length > 0) this.deps.logger.warn(fields, 'Redis holds no fleet marker (it lost its data, or is new): stored messages of the result TTL are checked and those Redis lost rebuilt');
    else this.deps.logger.info(fields, 'Redis holds no fleet marker (new, or it lost its data); no stored message of the result TTL to check');
  }

  /** The oldest pending messages that have settled, checked in one batch; the lost ones rebuilt. */
  private async checkSome(): Promise<number> {
    if (this.pending.length === 0) return 0;
    const settledBefore = this.now() - this.settleMs;
    let n = 0;
    while (n < this.pending.length && n < this.maxChecks && (scanIdTime(this.pending[n]!) ?? 0) <= settledBefore) n += 1;
    if (n === 0) return 0;
    const batch = this.pending.slice(0, n);
    const lost = await this.deps.unfinished(batch);
    let rebuilt = 0;
    for (const [i, id] of batch.entries()) {
      if (!lost[i]) continue;
      const outcome = await this.deps.rescan(id);
      if (outcome?.kind === 'rescanning' || outcome?.kind === 'done') rebuilt += 1;
    }
    // Only once the batch went through: a failed check is tried again at the next sweep.
    this.pending.splice(0, n);
    if (this.pending.length === 0) this.deps.logger.info({ rebuiltLastSweep: rebuilt }, 'rebuild from the store: every stored message of the window checked');
    return rebuilt;
  }
}
