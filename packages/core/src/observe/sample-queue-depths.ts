import type { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { QUEUE_STATES, type FleetMetrics } from './fleet-metrics';
import type { Logger } from './logger';
import { sampleRedisHealth } from './sample-redis-health';

export interface SampleQueueDepthsOptions {
  /** Also sample these connections' servers into the avfleet_redis_* gauges (memory, policy, cluster state). */
  readonly redis?: readonly (Redis | Cluster)[];
  readonly intervalMs?: number;
  /** The clock for job ages (tests). */
  readonly now?: () => number;
}

/** A queue of one lane (queue/queue-lanes.ts), labelled with the lane's number. */
export interface LaneQueue {
  readonly queue: Pick<Queue, 'name' | 'getJobCounts' | 'getJobs'>;
  readonly lane: string;
}

/**
 * Samples BullMQ job counts into avfleet_queue_jobs and the age of each queue's oldest
 * waiting job into avfleet_queue_oldest_waiting_seconds every `intervalMs`, per queue and
 * lane (and, given `redis`, the Redis health gauges at the same cadence); returns a stop function.
 */
export function sampleQueueDepths(queues: readonly LaneQueue[], metrics: FleetMetrics, logger: Logger, opts: SampleQueueDepthsOptions = {}): () => void {
  const now = opts.now ?? Date.now;
  let running = false;
  const sample = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      for (const { queue: q, lane } of queues) {
        const counts = await q.getJobCounts(...QUEUE_STATES);
        for (const s of QUEUE_STATES) metrics.queueJobs.set({ queue: q.name, lane, state: s }, counts[s] ?? 0);
        // Ascending: the oldest waiting job first.
        const [oldest] = await q.getJobs(['waiting'], 0, 0, true);
        metrics.queueOldestWaiting.set({ queue: q.name, lane }, oldest ? Math.max(0, now() - oldest.timestamp) / 1000 : 0);
      }
      if (opts.redis) await sampleRedisHealth(opts.redis, metrics);
    } catch (err) {
      logger.debug({ err: (err as Error).message }, 'queue depth sampling failed');
    } finally {
      running = false;
    }
  };
  void sample();
  const timer = setInterval(() => void sample(), opts.intervalMs ?? 5000);
  timer.unref();
  return () => clearInterval(timer);
}
