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
    expect(sub.listenerCount('close')).toBe(0);
  });
});

describe('ResultWaiter without a read before waiting (D62)', () => {
  const publish = (sub: EventEmitter, id: string): boolean => sub.emit('message', CHANNEL, JSON.stringify(result(id)));

  it('reads nothing for a scan enqueued after the subscription was confirmed: the publication answers', async () => {
    const { sub, loads, waiter } = setup();
    await waiter.start();
    const since = Date.now();
    const p = waiter.wait('A', 10_000, since);
    setTimeout(() => publish(sub, 'A'), 20);
    await expect(p).resolves.toMatchObject({ id: 'A' });
    expect(loads).toEqual([]);
  });

  it('a result heard before its waiter registered is kept for it', async () => {
    const { sub, loads, waiter } = setup();
    await waiter.start();
    const since = Date.now();
    publish(sub, 'B');
    await expect(waiter.wait('B', 10_000, since)).resolves.toMatchObject({ id: 'B' });
    expect(loads).toEqual([]);
  });

  it('reads first when the subscription is not confirmed, was lost, or the scan was enqueued before it', async () => {
    const { sub, stored, loads, waiter } = setup();
    stored.set('C', result('C'));
    await expect(waiter.wait('C', 10_000, Date.now())).resolves.toMatchObject({ id: 'C' }); // never started
    const before = Date.now() - 1000;
    await waiter.start();
    await expect(waiter.wait('C', 10_000, before)).resolves.toMatchObject({ id: 'C' });
    sub.emit('close');
    await expect(waiter.wait('C', 10_000, Date.now())).resolves.toMatchObject({ id: 'C' });
    expect(loads).toEqual(['C', 'C', 'C']);
    sub.emit('ready'); // resubscribed: heard in full again
    await new Promise((r) => setTimeout(r, 5));
    const since = Date.now();
    const p = waiter.wait('D', 10_000, since);
    publish(sub, 'D');
    await expect(p).resolves.toMatchObject({ id: 'D' });
    expect(loads).toEqual(['C', 'C', 'C']);
  });

  it('on a Redis Cluster (a subscription moves without events) always reads first', async () => {
    const { sub, stored, loads } = setup();
    const store = { load: (id: string) => (loads.push(id), Promise.resolve(stored.get(id) ?? null)) } as unknown as ResultStore;
    const waiter = new ResultWaiter(sub as unknown as ResultSubscriber, CHANNEL, store, undefined, false);
    await waiter.start();
    stored.set('E', result('E'));
    await expect(waiter.wait('E', 10_000, Date.now())).resolves.toMatchObject({ id: 'E' });
    expect(loads).toEqual(['E']);
  });

  it('keeps at most 1000 unclaimed results; once one was dropped, a scan enqueued before reads first', async () => {
    const { sub, stored, loads, waiter } = setup();
    await waiter.start();
    const since = Date.now();
    for (let i = 0; i <= 1000; i++) publish(sub, `n${i}`); // n0 is dropped
    stored.set('n0', result('n0'));
    await expect(waiter.wait('n0', 10_000, since)).resolves.toMatchObject({ id: 'n0' });
    await expect(waiter.wait('n1', 10_000, since)).resolves.toMatchObject({ id: 'n1' }); // still kept
    expect(loads).toEqual(['n0']);
  });
});
