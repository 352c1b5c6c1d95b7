import type { Queue } from 'bullmq';
import { Registry } from 'prom-client';
import { createFleetMetrics } from './fleet-metrics';
import { NOOP_LOGGER } from './logger';
import { sampleQueueDepths } from './sample-queue-depths';

/** A queue with `waiting` jobs created at the given times (ms), oldest first when asked ascending. */
function fakeQueue(name: string, createdAt: number[]): Queue {
  return {
    name,
    getJobCounts: async () => ({ waiting: createdAt.length, active: 0, delayed: 0, failed: 0 }),
    getJobs: async (_types: string[], start: number, end: number, asc: boolean) => {
      const sorted = [...createdAt].sort((a, b) => (asc ? a - b : b - a));
      return sorted.slice(start, end + 1).map((timestamp) => ({ timestamp }));
    },
  } as unknown as Queue;
}

describe('sampleQueueDepths', () => {
  it('sets depths by state and the age of the oldest waiting job per queue and lane (0 when none waits)', async () => {
    const registry = new Registry();
    const metrics = createFleetMetrics(registry, { defaultMetrics: false });
    const queues = [
      { queue: fakeQueue('clamav', [95_000, 40_000, 99_000]), lane: '0' }, { queue: fakeQueue('clamav', [70_000]), lane: '1' }, { queue: fakeQueue('aggregate', []), lane: '0' },
    ];
    const stop = sampleQueueDepths(queues, metrics, NOOP_LOGGER, { now: () => 100_000 });
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const text = await registry.metrics();
      expect(text).toMatch(/avfleet_queue_jobs\{queue="clamav",lane="0",state="waiting"\} 3\n/);
      expect(text).toMatch(/avfleet_queue_jobs\{queue="clamav",lane="1",state="waiting"\} 1\n/);
      expect(text).toMatch(/avfleet_queue_oldest_waiting_seconds\{queue="clamav",lane="0"\} 60\n/);
      expect(text).toMatch(/avfleet_queue_oldest_waiting_seconds\{queue="clamav",lane="1"\} 30\n/);
      expect(text).toMatch(/avfleet_queue_oldest_waiting_seconds\{queue="aggregate",lane="0"\} 0\n/);
    } finally {
      stop();
    }
  });
});
