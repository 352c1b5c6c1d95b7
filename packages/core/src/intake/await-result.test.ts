import { EventEmitter } from 'node:events';
import type { ResultStore, ScanResult } from '@avfleet/core';
import { ResultWaiter, type ResultSubscriber } from './await-result';

const CHANNEL = 'avft:done:p1';

const result = (id: string): ScanResult => ({
  id, state: 'done', action: 'no action', score: 0, required_score: 15, symbols: {}, message: null, parts: [], skipped: {}, queue_id: null, elapsed_ms: 1,
});

function setup(): { sub: EventEmitter; stored: Map<string, ScanResult>; loads: string[]; waiter: ResultWaiter } {
  const sub = Object.assign(new EventEmitter(), { subscribe: async () => 1, unsubscribe: async () => 1 });
  const stored = new Map<string, ScanResult>();
  const loads: string[] = [];
  const store = { load: (id: string) => (loads.push(id), Promise.resolve(stored.get(id) ?? null)) } as unknown as ResultStore;
  return { sub, stored, loads, waiter: new ResultWaiter(sub as unknown as ResultSubscriber, CHANNEL, store) };
}

describe('ResultWaiter', () => {
  it('answers with the published result, long before the wait runs out, without reading it again', async () => {
    const { sub, loads, waiter } = setup();
    const t0 = Date.now();
    const p = waiter.wait('A', 10_000);
    setTimeout(() => sub.emit('message', CHANNEL, JSON.stringify(result('A'))), 50);
    await expect(p).resolves.toMatchObject({ id: 'A' });
    expect(Date.now() - t0).toBeLessThan(2 * 50 + 1000);
    expect(loads).toEqual(['A']);
  });

  it('finds a result stored before it registered', async () => {
    const { stored, waiter } = setup();
    stored.set('B', result('B'));
    await expect(waiter.wait('B', 10_000)).resolves.toMatchObject({ id: 'B' });
  });

  it('answers null when the wait runs out, and ignores other scans and other channels', async () => {
    const { sub, waiter } = setup();
    const p = waiter.wait('C', 100);
    sub.emit('message', CHANNEL, JSON.stringify(result('other')));
    sub.emit('message', 'avft:done:p2', JSON.stringify(result('C')));
    await expect(p).resolves.toBeNull();
  });

  it('reads again after a reconnect (a publication may have been missed) and keeps waiting when nothing is there yet', async () => {
    const { sub, stored, waiter } = setup();
    const p = waiter.wait('E', 10_000);
    await new Promise((r) => setTimeout(r, 20));
    sub.emit('ready');
    await new Promise((r) => setTimeout(r, 20));
    stored.set('E', result('E'));
    sub.emit('ready');
    await expect(p).resolves.toMatchObject({ id: 'E' });
  });

  it('a result whose notification was lost (no reconnect event) is found by the look-again, within 2 s + 1 s', async () => {
    const { stored, waiter } = setup();
    const t0 = Date.now();
    const p = waiter.wait('F', 20_000);
    setTimeout(() => stored.set('F', result('F')), 100); // stored, never published to this subscriber
    await expect(p).resolves.toMatchObject({ id: 'F' });
    expect(Date.now() - t0).toBeLessThan(2 * 2000 + 1000);
  });

  it('a read that fails (Redis failing over) does not end the wait', async () => {
    const { sub, loads, waiter } = setup();
    const failing = { load: (id: string) => (loads.push(id), Promise.reject(new Error('CLUSTERDOWN'))) } as unknown as ResultStore;
    const w = new ResultWaiter(sub as unknown as ResultSubscriber, CHANNEL, failing);
    const p = w.wait('G', 10_000);
    setTimeout(() => sub.emit('message', CHANNEL, JSON.stringify(result('G'))), 50);
    await expect(p).resolves.toMatchObject({ id: 'G' });
    expect(loads).toEqual(['G']);
    await waiter.close();
  });

  it('with no wait, only looks once', async () => {
    const { waiter } = setup();
    await expect(waiter.wait('D', 0)).resolves.toBeNull();
  });

  it('stops listening on close', async () => {
    const { sub, waiter } = setup();
    expect(sub.listenerCount('message')).toBe(1);
    await waiter.close();
    expect(sub.listenerCount('message')).toBe(0);
    expect(sub.listenerCount('ready')).toBe(0);
  });
});
