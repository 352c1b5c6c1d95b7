import { Registry } from 'prom-client';
import { NOOP_LOGGER, createFleetMetrics } from '@avfleet/core';
import type { ClusterMessage } from './cluster-messages';
import { aggregateChildMetrics, clusterMetricsFromPrimary, shareOwnMetrics, type ChildEnd, type IpcEnd } from './metrics-over-ipc';

/**
 * The protocol end to end over in-memory channels: child A asks, the primary
 * collects every ready child's registry and answers A with the merged text.
 */

interface FakeChild {
  readonly end: ChildEnd;
  readonly channel: IpcEnd;
  /** Drop messages to this child (it hangs). */
  mute: boolean;
}

function cluster(count: number, timeoutMs = 200) {
  const children: FakeChild[] = [];
  const handlers = new Map<number, ((m: unknown) => void)[]>();
  const aggregator = aggregateChildMetrics({ readyChildren: () => children.map((c) => c.end), logger: NOOP_LOGGER, timeoutMs });
  for (let id = 1; id <= count; id++) {
    handlers.set(id, []);
    const child: FakeChild = {
      mute: false,
      end: {
        id,
        send: (m: ClusterMessage) => {
          if (!child.mute) setImmediate(() => handlers.get(id)!.forEach((h) => h(JSON.parse(JSON.stringify(m)))));
        },
      },
      channel: {
        send: (m: ClusterMessage) => setImmediate(() => aggregator.handle(child.end, JSON.parse(JSON.stringify(m)))),
        onMessage: (h) => handlers.get(id)!.push(h),
      },
    };
    children.push(child);
  }
  return { children, aggregator };
}

function registryWith(served: number, latencies: readonly number[], waiting: number): Registry {
  const registry = new Registry();
  const metrics = createFleetMetrics(registry, { defaultMetrics: false });
  metrics.httpRequests.inc({ route: 'post_scans', status: '200' }, served);
  for (const s of latencies) metrics.messageLatency.observe(s);
  metrics.queueJobs.set({ queue: 'clamav', state: 'waiting' }, waiting);
  return registry;
}

const sample = (text: string, line: string): number => {
  const hit = text.split('\n').find((l) => l.startsWith(`${line} `));
  if (!hit) throw new Error(`no sample ${line} in:\n${text}`);
  return Number(hit.slice(line.length + 1));
};

describe('metrics over IPC', () => {
  it('answers the asking child with every ready child merged: counters and histograms summed, queue gauges by max', async () => {
    const { children } = cluster(3);
    const registries = [registryWith(4, [0.02, 3], 7), registryWith(5, [0.02], 9), registryWith(1, [], 2)];
    children.forEach((c, i) => shareOwnMetrics(c.channel, registries[i]!));
    const text = await clusterMetricsFromPrimary(children[1]!.channel, 1000)();
    expect(sample(text, 'avfleet_http_requests_total{route="post_scans",status="200"}')).toBe(10);
    expect(sample(text, 'avfleet_message_latency_seconds_count')).toBe(3);
    expect(sample(text, 'avfleet_message_latency_seconds_bucket{le="0.025"}')).toBe(2);
    expect(sample(text, 'avfleet_message_latency_seconds_bucket{le="+Inf"}')).toBe(3);
    expect(sample(text, 'avfleet_queue_jobs{queue="clamav",state="waiting"}')).toBe(9);
    expect(text).toContain('# TYPE avfleet_http_requests_total counter');
  });

  it('leaves out a child that does not answer in time instead of failing the scrape', async () => {
    const { children } = cluster(2, 100);
    shareOwnMetrics(children[0]!.channel, registryWith(3, [], 0));
    shareOwnMetrics(children[1]!.channel, registryWith(50, [], 0));
    children[1]!.mute = true;
    const text = await clusterMetricsFromPrimary(children[0]!.channel, 1000)();
    expect(sample(text, 'avfleet_http_requests_total{route="post_scans",status="200"}')).toBe(3);
  });

  it('stops waiting for a child that exited', async () => {
    const { children, aggregator } = cluster(2, 60_000);
    shareOwnMetrics(children[0]!.channel, registryWith(2, [], 0));
    children[1]!.mute = true;
    const pending = clusterMetricsFromPrimary(children[0]!.channel, 60_000)();
    await new Promise((r) => setTimeout(r, 20));
    aggregator.forget(children[1]!.end.id);
    expect(sample(await pending, 'avfleet_http_requests_total{route="post_scans",status="200"}')).toBe(2);
  });

  it('a child whose primary never answers gets an error that says so', async () => {
    const silent: IpcEnd = { send: () => undefined, onMessage: () => undefined };
    await expect(clusterMetricsFromPrimary(silent, 50)()).rejects.toThrow(/primary process did not send the aggregated metrics within 50 ms/);
  });

  it('ignores messages that are not part of the protocol (prom-client\'s own, anything else)', () => {
    const sent: unknown[] = [];
    const aggregator = aggregateChildMetrics({ readyChildren: () => [], logger: NOOP_LOGGER });
    const child: ChildEnd = { id: 1, send: (m) => sent.push(m) };
    for (const m of [{ type: 'prom-client:getMetricsReq', requestId: 1 }, 'hello', null, { type: 'avfleet:unknown', id: 1 }]) aggregator.handle(child, m);
    aggregator.handle(child, { type: 'avfleet:metrics-part', id: 99, metrics: [] });
    expect(sent).toEqual([]);
  });
});
