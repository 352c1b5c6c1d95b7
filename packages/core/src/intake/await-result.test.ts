import { EventEmitter } from 'node:events';
import type { QueueEvents } from 'bullmq';
import type { ResultStore, ScanResult } from '@avfleet/core';
import { ResultWaiter } from './await-result';

const result = (id: string): ScanResult => ({
  id, state: 'done', action: 'no action', score: 0, required_score: 15, symbols: {}, message: null, parts: [], skipped: {}, queue_id: null, elapsed_ms: 1,
});

function setup(): { events: EventEmitter; stored: Map<string, ScanResult>; waiter: ResultWaiter } {
  const events = new EventEmitter();
  const stored = new Map<string, ScanResult>();
  const store = { load: (id: string) => Promise.resolve(stored.get(id) ?? null) } as unknown as ResultStore;
  return { events, stored, waiter: new ResultWaiter(events as unknown as QueueEvents, store) };
}

describe('ResultWaiter', () => {
  it('wakes on the completed event, long before the wait runs out', async () => {
    const { events, stored, waiter } = setup();
    const t0 = Date.now();
    const p = waiter.wait('A', 10_000);
    setTimeout(() => {
      stored.set('A', result('A'));
      events.emit('completed', { jobId: 'A' });
    }, 50);
    await expect(p).resolves.toMatchObject({ id: 'A' });
    expect(Date.now() - t0).toBeLessThan(2 * 50 + 1000);
  });

  it('finds a result stored before it subscribed', async () => {
    const { stored, waiter } = setup();
    stored.set('B', result('B'));
    await expect(waiter.wait('B', 10_000)).resolves.toMatchObject({ id: 'B' });
  });

  it('answers null when the wait runs out, and ignores other scans', async () => {
    const { events, waiter } = setup();
    const p = waiter.wait('C', 100);
    events.emit('completed', { jobId: 'other' });
    await expect(p).resolves.toBeNull();
  });

  it('with no wait, only looks once', async () => {
    const { waiter } = setup();
    await expect(waiter.wait('D', 0)).resolves.toBeNull();
  });

  it('stops listening on close', () => {
    const { events, waiter } = setup();
    expect(events.listenerCount('completed')).toBe(1);
    waiter.close();
    expect(events.listenerCount('completed')).toBe(0);
  });
});
