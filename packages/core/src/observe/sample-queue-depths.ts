import type { Queue } from 'bullmq';
import type { FleetMetrics } from './fleet-metrics';
import type { Logger } from './logger';

const STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/** Samples BullMQ job counts into avfleet_queue_jobs every `intervalMs`; returns a stop function. */
export function sampleQueueDepths(queues: readonly Queue[], metrics: FleetMetrics, logger: Logger, intervalMs = 5000): () => void {
  let running = false;
  const sample = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      for (const q of queues) {
        const counts = await q.getJobCounts(...STATES);
        for (const s of STATES) metrics.queueJobs.set({ queue: q.name, state: s }, counts[s] ?? 0);
      }
    } catch (err) {
      logger.debug({ err: (err as Error).message }, 'queue depth sampling failed');
    } finally {
      running = false;
    }
  };
  void sample();
  const timer = setInterval(() => void sample(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
