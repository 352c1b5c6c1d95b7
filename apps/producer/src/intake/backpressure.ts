import type { Queue } from 'bullmq';

/**
 * Counts waiting scan jobs across the rule queues, at most once per
 * `refreshMs`, so a burst of requests does not turn into a burst of Redis calls.
 */
export class Backpressure {
  private cached = 0;
  private at = 0;
  private inflight: Promise<number> | null = null;

  constructor(
    private readonly queues: readonly Queue[],
    private readonly maxWaiting: number,
    private readonly refreshMs = 500,
  ) {}

  async waiting(): Promise<number> {
    if (Date.now() - this.at < this.refreshMs) return this.cached;
    this.inflight ??= (async () => {
      try {
        const counts = await Promise.all(this.queues.map((q) => q.getWaitingCount()));
        this.cached = counts.reduce((a, b) => a + b, 0);
        this.at = Date.now();
        return this.cached;
      } finally {
        this.inflight = null;
      }
    })();
    return this.inflight;
  }

  /** Seconds a client should wait before retrying, or 0 when there is room. */
  async retryAfterSec(): Promise<number> {
    const n = await this.waiting();
    return n > this.maxWaiting ? Math.min(60, 1 + Math.ceil((n - this.maxWaiting) / Math.max(1, this.maxWaiting / 10))) : 0;
  }
}
