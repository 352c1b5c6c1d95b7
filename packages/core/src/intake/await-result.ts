import type { ResultStore } from '../aggregate/result-store';
import type { ScanResult } from '../contracts/scan-result';

/** A Redis connection in subscriber mode (ioredis' Redis satisfies it). */
export interface ResultSubscriber {
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
  off(event: 'message', listener: (channel: string, message: string) => void): unknown;
  off(event: 'ready', listener: () => void): unknown;
}

/**
 * Waits for the results of the scans this producer process submitted. The result write
 * publishes each result on this process's own channel (queue-names.ts `resultChannel`,
 * carried by the scan's aggregation input as `notify`; aggregate/result-store.ts), and one
 * subscription per process hears them: no Redis command per wait beyond one read of the
 * stored result before waiting (the scan may have finished before its waiter was
 * registered). Notifications published while the subscription was down are lost, so on
 * every reconnect each waiter reads the stored result again; the timeout ends with a last read.
 */
/**
 * A waiter that heard nothing for this long reads the stored result again: a notification
 * published while the subscription was moving (a Redis Cluster node lost) is missed without a
 * reconnect event. Most scans finish well within it, so it costs no command for them.
 */
const LOOK_AGAIN_MS = 2000;

export class ResultWaiter {
  private readonly waiters = new Map<string, Set<(result: ScanResult | null) => void>>();
  private readonly onMessage = (channel: string, message: string): void => {
    if (channel !== this.channel) return;
    let result: ScanResult;
    try {
      result = JSON.parse(message) as ScanResult;
    } catch {
      return;
    }
    this.wake(result.id, result);
    this.heard?.(result.id);
  };
  /** Reconnected: whatever was published meanwhile was missed, so every waiter reads again. */
  private readonly onReady = (): void => {
    for (const id of [...this.waiters.keys()]) this.wake(id, null);
  };

  constructor(
    private readonly subscriber: ResultSubscriber,
    private readonly channel: string,
    private readonly results: Pick<ResultStore, 'load'>,
    /** Told of every result heard on the channel, waited for or not (the producer's reconciler forgets the scan). */
    private readonly heard?: (scanId: string) => void,
  ) {
    subscriber.on('message', this.onMessage);
    subscriber.on('ready', this.onReady);
  }

  /** Subscribes to this process's channel (before any scan names it). */
  async start(): Promise<void> {
    await this.subscriber.subscribe(this.channel);
  }

  /**
   * The result, or null when it is not there within `waitMs`. A read that fails (Redis lost for a
   * moment, a Redis Cluster failing over) does not end the wait: the next read comes with the next
   * notification, reconnect or look-again, and only the last read at the timeout counts as the answer.
   */
  async wait(scanId: string, waitMs: number): Promise<ScanResult | null> {
    if (waitMs <= 0) return this.results.load(scanId);
    const endAt = Date.now() + waitMs;
    let heard = this.listen(scanId);
    try {
      // The scan may have finished before we registered: look once first.
      const early = await this.loadOrNull(scanId);
      if (early) return early;
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
    this.waiters.clear();
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

  private wake(scanId: string, result: ScanResult | null): void {
    const set = this.waiters.get(scanId);
    if (!set) return;
    this.waiters.delete(scanId);
    for (const w of set) w(result);
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
