import type { ScanJobData } from '../contracts/scan-job-data';
import type { Logger } from '../observe/logger';
import type { EnqueuedScan } from './enqueue-scan';
import { scanJobId } from './part-jobs';
import { scanQueueName } from './queue-names';
import type { ScanStateStore } from './scan-state';

/** What the reconciler reads and writes (open-intake.ts wires it to Redis and the queues). */
export interface ReconcileDeps {
  readonly state: Pick<ScanStateStore, 'recordedParts'>;
  /** The stored result exists (the scan is finished). */
  hasResult(scanId: string): Promise<boolean>;
  /** The part job exists in its lane's queue (waiting, active, delayed or failed). */
  jobExists(lane: number, queue: string, jobId: string): Promise<boolean>;
  /** Writes the scan's state again (the same input as its first enqueue). */
  reopen(scan: EnqueuedScan): Promise<void>;
  /** Adds these part jobs to the lane again (deterministic ids: one that exists is not added twice). */
  readd(lane: number, parts: readonly ScanJobData[]): Promise<void>;
  readonly logger: Logger;
  /** Counts re-enqueued scans by reason (avfleet_scans_reenqueued_total). */
  readonly counted?: (reason: ReenqueueReason, n: number) => void;
}

/** Why a scan was enqueued again: its state was gone (with no result), or some of its part jobs were. */
export type ReenqueueReason = 'state_lost' | 'jobs_lost';

export interface ReconcileOptions {
  /** A scan is first checked this long after it was enqueued, then again each time this long after its last check. */
  readonly checkAfterMs?: number;
  /** At most this many scans checked per sweep (the oldest due first). */
  readonly maxChecksPerSweep?: number;
  /** Scans tracked at most (the oldest forgotten past it, with a warning). */
  readonly maxTracked?: number;
  /** A scan is forgotten this long after it was enqueued (its result would have expired). */
  readonly forgetAfterMs: number;
  readonly now?: () => number;
}

interface Tracked {
  readonly scan: EnqueuedScan;
  readonly enqueuedAt: number;
  checkAt: number;
}

/** Defaults: a healthy scan is finished (and forgotten) long before its first check. */
export const RECONCILE_CHECK_AFTER_MS = 10_000;
const MAX_CHECKS_PER_SWEEP = 500;
const MAX_TRACKED = 200_000;

/**
 * The producer's reconciler (issue 18, "failover survived"): every scan this producer
 * process enqueued is kept in memory — its enqueue input, no message bytes — until its
 * result is heard on the producer's result channel (`finished`). Redis replicates
 * asynchronously, so a master that dies (or a Redis restarted without persistence) can
 * take with it the last writes it acknowledged: a scan's state, a part job added, a
 * verdict recorded. Any of these leaves a scan that never finishes. A scan still
 * unfinished `checkAfterMs` after it was enqueued is checked, and again every
 * `checkAfterMs`, oldest first, at most `maxChecksPerSweep` per sweep: its part jobs
 * are looked up first, then its state (a job is removed only after its verdict is
 * recorded, so a job missing and its verdict missing after it means the job is lost);
 * a part with neither is added again; a state that is gone with no result means the
 * scan is enqueued again whole. Re-running is safe: part job ids are deterministic,
 * a verdict counts once (queue/scan-state.ts), a result is saved once. A healthy fleet
 * finishes a scan before its first check: no Redis command per message. What it does
 * not cover: a producer process that dies loses its list (its scans that Redis lost too are
 * rebuilt from the store instead: on `GET /scans/:id`, intake/rescan-stored.ts, or by the
 * recovery after a whole Redis data loss, intake/recover-from-store.ts), and a scan is
 * forgotten after `forgetAfterMs`.
 */
export class ScanReconciler {
  private readonly tracked = new Map<string, Tracked>();
  private readonly checkAfterMs: number;
  private readonly maxChecks: number;
  private readonly maxTracked: number;
  private readonly now: () => number;
  private sweeping = false;
  private overflowWarned = false;

  constructor(private readonly deps: ReconcileDeps, private readonly opts: ReconcileOptions) {
    this.checkAfterMs = opts.checkAfterMs ?? RECONCILE_CHECK_AFTER_MS;
    this.maxChecks = opts.maxChecksPerSweep ?? MAX_CHECKS_PER_SWEEP;
    this.maxTracked = opts.maxTracked ?? MAX_TRACKED;
    this.now = opts.now ?? Date.now;
  }

  /** A scan was enqueued: tracked until finished. */
  track(scan: EnqueuedScan): void {
    const at = this.now();
    this.tracked.set(scan.job.scanId, { scan, enqueuedAt: at, checkAt: at + this.checkAfterMs });
    if (this.tracked.size > this.maxTracked) {
      const [oldest] = this.tracked.keys();
      if (oldest !== undefined) this.tracked.delete(oldest);
      if (!this.overflowWarned) {
        this.overflowWarned = true;
        this.deps.logger.warn({ code: 'AVF_WARN_RECONCILE_FULL', maxTracked: this.maxTracked }, 'too many unfinished scans to track: the oldest are no longer checked for loss');
      }
    }
  }

  /** The scan's result was heard, or it was cancelled: no longer tracked. */
  finished(scanId: string): void {
    this.tracked.delete(scanId);
  }

  get size(): number {
    return this.tracked.size;
  }

  /** One pass over the scans due for a check; returns how many were enqueued again. */
  async sweep(): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    const now = this.now();
    const counts: Record<ReenqueueReason, number> = { state_lost: 0, jobs_lost: 0 };
    try {
      const due: Tracked[] = [];
      for (const [id, t] of this.tracked) {
        if (now - t.enqueuedAt > this.opts.forgetAfterMs) this.tracked.delete(id);
        else if (t.checkAt <= now && due.length < this.maxChecks) due.push(t);
      }
      const outcomes = await Promise.allSettled(due.map(async (t) => {
        t.checkAt = now + this.checkAfterMs;
        const reason = await this.check(t.scan);
        if (reason === 'finished') this.tracked.delete(t.scan.job.scanId);
        else if (reason) counts[reason] += 1;
      }));
      const failed = outcomes.filter((o) => o.status === 'rejected').length;
      const again = counts.state_lost + counts.jobs_lost;
      if (again > 0 || failed > 0) {
        this.deps.logger.warn(
          { code: 'AVF_WARN_SCANS_REENQUEUED', checked: due.length, stateLost: counts.state_lost, jobsLost: counts.jobs_lost, checkFailed: failed, tracked: this.tracked.size },
          'accepted scans lost by Redis were enqueued again',
        );
      }
      for (const reason of ['state_lost', 'jobs_lost'] as const) if (counts[reason] > 0) this.deps.counted?.(reason, counts[reason]);
      return again;
    } finally {
      this.sweeping = false;
    }
  }

  /**
   * Checks one tracked scan now (`GET /scans/:id` found neither its result nor its state):
   * `state_lost` when it was enqueued again whole (its result is being rebuilt), `untracked`
   * when this process does not track it, else what the check found.
   */
  async recheck(scanId: string): Promise<ReenqueueReason | 'finished' | 'untracked' | null> {
    const t = this.tracked.get(scanId);
    if (!t) return 'untracked';
    t.checkAt = this.now() + this.checkAfterMs;
    const outcome = await this.check(t.scan);
    if (outcome === 'finished') this.tracked.delete(scanId);
    if (outcome === 'state_lost' || outcome === 'jobs_lost') {
      this.deps.counted?.(outcome, 1);
      this.deps.logger.warn({ code: 'AVF_WARN_SCANS_REENQUEUED', scanId, stateLost: outcome === 'state_lost' ? 1 : 0, jobsLost: outcome === 'jobs_lost' ? 1 : 0 }, 'an accepted scan lost by Redis was enqueued again');
    }
    return outcome;
  }

  /** Sweeps every `intervalMs` until the returned stop function is called. */
  start(intervalMs: number): () => void {
    const timer = setInterval(() => void this.sweep().catch(() => undefined), intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** One scan: finished, fine (null: still running), or enqueued again (why). */
  private async check(scan: EnqueuedScan): Promise<ReenqueueReason | 'finished' | null> {
    const { deps } = this;
    const scanId = scan.job.scanId;
    // Jobs first, then the state: a part job is removed only after its verdict is recorded.
    const jobs = await Promise.all(scan.parts.map((p) => deps.jobExists(scan.lane, scanQueueName(p.rule), scanJobId(scanId, p.rule, p.partIndex))));
    const recorded = await deps.state.recordedParts(scanId);
    if (recorded === null) {
      // The state is removed after the result is stored: no state and no result is a lost scan.
      if (await deps.hasResult(scanId)) return 'finished';
      await deps.reopen(scan);
      return 'state_lost';
    }
    const lost = scan.parts.filter((p, i) => !jobs[i] && !recorded.has(p.rule, p.partIndex));
    if (lost.length === 0) return null;
    await deps.readd(scan.lane, lost);
    return 'jobs_lost';
  }
}
