import type { QueueEvents } from 'bullmq';
import type { ResultStore } from '../aggregate/result-store';
import type { ScanResult } from '../contracts/scan-result';

/**
 * Waits for a scan's aggregation job to complete (BullMQ QueueEvents on the
 * aggregate queue), then reads the stored result. One QueueEvents stream per
 * producer serves every waiting request.
 */
export class ResultWaiter {
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly onCompleted = ({ jobId }: { jobId: string }): void => {
    const set = this.waiters.get(jobId);
    if (!set) return;
    this.waiters.delete(jobId);
    for (const w of set) w();
  };

  constructor(
    private readonly events: QueueEvents,
    private readonly results: ResultStore,
  ) {
    events.on('completed', this.onCompleted);
  }

  /** The result, or null when it is not there within `waitMs`. */
  async wait(scanId: string, waitMs: number): Promise<ScanResult | null> {
    if (waitMs <= 0) return this.results.load(scanId);
    let wake!: () => void;
    const signalled = new Promise<void>((resolve) => (wake = resolve));
    const set = this.waiters.get(scanId) ?? new Set();
    set.add(wake);
    this.waiters.set(scanId, set);
    let timer: NodeJS.Timeout | undefined;
    try {
      // The job may have completed before we subscribed: look once first.
      const early = await this.results.load(scanId);
      if (early) return early;
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), waitMs)));
      await Promise.race([signalled, timedOut]);
      return await this.results.load(scanId);
    } finally {
      if (timer) clearTimeout(timer);
      const s = this.waiters.get(scanId);
      s?.delete(wake);
      if (s && s.size === 0) this.waiters.delete(scanId);
    }
  }

  close(): void {
    this.events.off('completed', this.onCompleted);
    this.waiters.clear();
  }
}
