import type { ResultStore } from '../aggregate/result-store';
import type { ScanResult } from '../contracts/scan-result';

/** A Redis connection in subscriber mode (ioredis' Redis satisfies it). */
export interface ResultSubscriber {
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  on(event: 'ready' | 'close', listener: () => void): unknown;
  off(event: 'message', listener: (channel: string, message: string) => void): unknown;
  off(event: 'ready' | 'close', listener: () => void): unknown;
}

/**
 * Waits for the results of the scans this producer process submitted. The result write
 * publishes each result on this process's own channel (queue-names.ts `resultChannel`,
 * carried by the scan's aggregation input as `notify`; aggregate/result-store.ts), and one
 * subscription per process hears them: no Redis command per wait. A result heard before its
 * waiter registered (the scan finished while its submission was still being answered) is
 * kept a moment for it (UNCLAIMED_MAX, UNCLAIMED_MS); a waiter reads the stored result once
 * before waiting only when it cannot know that it heard everything since its scan was
 * enqueued — the subscription was not confirmed up throughout, or a kept result was dropped
 * since (D62). Notifications published while the subscription was down are lost, so on
 * every reconnect each waiter reads the stored result again; the timeout ends with a last read.
 */
/**
 * A waiter that heard nothing for this long reads the stored result again: a notification
 * published while the subscription was moving (a Redis Cluster node lost) is missed without a
 * reconnect event. Most scans finish well within it, so it costs no command for them.
 */
const LOOK_AGAIN_MS = 2000;

/** Results heard with no waiter (yet) kept at most: about 1–3 KB each. */
const UNCLAIMED_MAX = 1000;
/** …and for at most this long: a waiter registers right after its scan was enqueued. */
const UNCLAIMED_MS = 10_000;

export class ResultWaiter {
  private readonly waiters = new Map<string, Set<(result: ScanResult | null) => void>>();
  /** Results heard that no waiter took yet, oldest first (a Map keeps insertion order). */
  private readonly unclaimed = new Map<string, { readonly result: ScanResult; readonly at: number }>();
  /** Since when every publication on the channel is heard (the subscription confirmed, not lost since); null: not now. */
  private heardSince: number | null = null;
  /** When a kept result was last dropped unclaimed: a waiter whose scan was enqueued before it may have lost its result. */
  private droppedAt = 0;
  /** Bumped when the connection closes: a confirmation of a subscription sent before it does not count. */
  private generation = 0;
  private readonly onMessage = (channel: string, message: string): void => {
    if (channel !== this.channel) return;
    let result: ScanResult;
    try {
      result = JSON.parse(message) as ScanResult;
    } catch {
      return;
    }
    if (!this.wake(result.id, result)) this.keepUnclaimed(result);
    this.heard?.(result.id);
  };
  /** Reconnected: whatever was published meanwhile was missed, so every waiter reads again; heard in full again once resubscribed. */
  private readonly onReady = (): void => {
    for (const id of [...this.waiters.keys()]) this.wake(id, null);
    this.confirmSubscription().catch(() => undefined);
  };
  private readonly onClose = (): void => {
    this.heardSince = null;
    this.generation += 1;
  };

  constructor(
    private readonly subscriber: ResultSubscriber,
    private readonly channel: string,
    private readonly results: Pick<ResultStore, 'load'>,
    /** Told of every result heard on the channel, waited for or not (the producer's reconciler forgets the scan). */
    private readonly heard?: (scanId: string) => void,
    /**
     * Whether a connection's events tell every lost publication (one Redis: `close`, then `ready`).
     * False on a Redis Cluster, whose subscription can move to another node without them: every
     * waiter then reads once before waiting.
     */
    private readonly eventsTellLoss = true,
  ) {
    subscriber.on('message', this.onMessage);
    subscriber.on('ready', this.onReady);
    subscriber.on('close', this.onClose);
  }

  /** Subscribes to this process's channel (before any scan names it). */
  async start(): Promise<void> {
    await this.confirmSubscription();
  }

  /**
   * The result, or null when it is not there within `waitMs`. A read that fails (Redis lost for a
   * moment, a Redis Cluster failing over) does not end the wait: the next read comes with the next
   * notification, reconnect or look-again, and only the last read at the timeout counts as the answer.
   * `enqueuedSince`: a time (ms since epoch) no later than the scan's enqueue; without it the
   * stored result is always read once before waiting.
   */
  async wait(scanId: string, waitMs: number, enqueuedSince?: number): Promise<ScanResult | null> {
    if (waitMs <= 0) return this.claim(scanId) ?? this.results.load(scanId);
    const endAt = Date.now() + waitMs;
    let heard = this.listen(scanId);
    try {
      const kept = this.claim(scanId);
      if (kept) return kept;
      // The scan may have finished before we registered and its publication not been heard: look once first.
      if (!this.heardAllSince(enqueuedSince)) {
        const early = await this.loadOrNull(scanId);
        if (early) return early;
      }
      for (;;) {
        const left = endAt - Date.now();
        const outcome = await raceTimeout(heard.signalled, Math.min(left, LOOK_AGAIN_MS));
        if (outcome === 'timeout' && left <= LOOK_AGAIN_MS) return await this.loadOrNull(scanId);
        if (outcome && outcome !== 'timeout') return outcome;
        // Woken by a reconnect, or nothing heard for LOOK_AGAIN_MS (a notification can be lost while the
        // subscription moves to another node): read again, and keep waiting when it is not there yet.
        heard.stop();
        heard = this.listen(scanId);
        const again = await this.loadOrNull(scanId);
        if (again) return again;
      }
    } finally {
      heard.stop();
    }
  }

  private async loadOrNull(scanId: string): Promise<ScanResult | null> {
    return this.results.load(scanId).catch(() => null);
  }

  async close(): Promise<void> {
    this.subscriber.off('message', this.onMessage);
    this.subscriber.off('ready', this.onReady);
    this.subscriber.off('close', this.onClose);
    this.waiters.clear();
    this.unclaimed.clear();
    await this.subscriber.unsubscribe(this.channel).catch(() => undefined);
  }

  /** Registers a waiter for one notification (a result, or null on a reconnect). */
  private listen(scanId: string): { signalled: Promise<ScanResult | null>; stop(): void } {
    let wake!: (result: ScanResult | null) => void;
    const signalled = new Promise<ScanResult | null>((resolve) => (wake = resolve));
    const set = this.waiters.get(scanId) ?? new Set();
    set.add(wake);
    this.waiters.set(scanId, set);
    return {
      signalled,
      stop: () => {
        const s = this.waiters.get(scanId);
        s?.delete(wake);
        if (s && s.size === 0) this.waiters.delete(scanId);
      },
    };
  }

  /** Wakes the scan's waiters; false when it has none. */
  private wake(scanId: string, result: ScanResult | null): boolean {
    const set = this.waiters.get(scanId);
    if (!set) return false;
    this.waiters.delete(scanId);
    for (const w of set) w(result);
    return true;
  }

  /** (Re)subscribes; once Redis confirms, and the connection was not lost meanwhile, every publication from then on is heard. */
  private async confirmSubscription(): Promise<void> {
    const generation = this.generation;
    const sent = Date.now();
    await this.subscriber.subscribe(this.channel);
    if (generation === this.generation && this.heardSince === null) this.heardSince = sent;
  }

  private heardAllSince(enqueuedSince: number | undefined): boolean {
    return this.eventsTellLoss && enqueuedSince !== undefined && this.heardSince !== null && this.heardSince <= enqueuedSince && this.droppedAt < enqueuedSince;
  }

  /** Keeps a result heard with no waiter, for a waiter about to register; the oldest and the stale ones make room. */
  private keepUnclaimed(result: ScanResult): void {
    const now = Date.now();
    for (const [id, kept] of this.unclaimed) {
      if (this.unclaimed.size < UNCLAIMED_MAX && now - kept.at < UNCLAIMED_MS) break;
      this.unclaimed.delete(id);
      this.droppedAt = now;
    }
    this.unclaimed.set(result.id, { result, at: now });
  }

  private claim(scanId: string): ScanResult | null {
    const kept = this.unclaimed.get(scanId);
    if (!kept) return null;
    this.unclaimed.delete(scanId);
    return kept.result;
  }
}

/** The promise's value, or `timeout` after `ms`. */
async function raceTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  if (ms <= 0) return 'timeout';
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
