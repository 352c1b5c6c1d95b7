import type { Queue } from 'bullmq';
import { RefreshedValue } from '@avfleet/scanners';

/**
 * Counts waiting scan jobs across the rule queues, at most once per
 * `refreshMs`, so a burst of requests does not turn into a burst of Redis calls.
 */
export class Backpressure {
  private readonly count: RefreshedValue<number>;

  constructor(
    queues: readonly Pick<Queue, 'getWaitingCount'>[],
    private readonly maxWaiting: number,
    refreshMs = 500,
  ) {
    this.count = new RefreshedValue(async () => {
      const counts = await Promise.all(queues.map((q) => q.getWaitingCount()));
      return counts.reduce((a, b) => a + b, 0);
    }, { ttlMs: refreshMs });
  }

  waiting(): Promise<number> {
    return this.count.get();
  }

  /** Seconds a client should wait before retrying, or 0 when there is room. */
  async retryAfterSec(): Promise<number> {
    const n = await this.waiting();
    return n > this.maxWaiting ? Math.min(60, 1 + Math.ceil((n - this.maxWaiting) / Math.max(1, this.maxWaiting / 10))) : 0;
  }
}
