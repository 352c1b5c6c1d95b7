import type { Queue } from 'bullmq';
import { Backpressure } from './backpressure';

function queues(counts: number[]): { qs: Queue[]; calls: () => number } {
  let calls = 0;
  const qs = counts.map((n) => ({ getWaitingCount: () => { calls++; return Promise.resolve(n); } }) as unknown as Queue);
  return { qs, calls: () => calls };
}

describe('Backpressure', () => {
  it('has room at or below AVFLEET_MAX_WAITING, summed over the rule queues', async () => {
    expect(await new Backpressure(queues([40, 60]).qs, 100).retryAfterSec()).toBe(0);
  });

  it('asks for a retry above it, longer the fuller the queues, at most 60 s', async () => {
    const a = await new Backpressure(queues([101]).qs, 100).retryAfterSec();
    const b = await new Backpressure(queues([300]).qs, 100).retryAfterSec();
    expect(a).toBeGreaterThanOrEqual(1);
    expect(b).toBeGreaterThan(a);
    expect(await new Backpressure(queues([1e9]).qs, 100).retryAfterSec()).toBe(60);
  });

  it('counts at most once per refresh period, also under a burst', async () => {
    const q = queues([1, 2]);
    const bp = new Backpressure(q.qs, 100, 10_000);
    await Promise.all([bp.waiting(), bp.waiting(), bp.waiting()]);
    await bp.waiting();
    expect(q.calls()).toBe(2);
  });

  it('passes a Redis failure on (the route turns it into 503)', async () => {
    const failing = [{ getWaitingCount: () => Promise.reject(new Error('connect ECONNREFUSED')) } as unknown as Queue];
    await expect(new Backpressure(failing, 10).retryAfterSec()).rejects.toThrow('ECONNREFUSED');
  });
});
