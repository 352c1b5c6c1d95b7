import { Registry } from 'prom-client';
import type { ClusterMessage } from './cluster-messages';
import { clusterMetricsFromPrimary, shareOwnMetrics, type IpcEnd } from './metrics-over-ipc';
import { startProducer, type RunningProducer, type StartProducerOptions } from '../start-producer';

/** This process's IPC channel to the cluster primary that forked it. */
function primaryChannel(): IpcEnd {
  return {
    send(message: ClusterMessage) {
      // A primary that is gone (channel closed) has nothing left to tell.
      if (process.connected && process.send) process.send(message, undefined, undefined, () => undefined);
    },
    onMessage(handler) {
      process.on('message', handler);
    },
  };
}

/**
 * One child of a producer cluster (AVFLEET_PRODUCER_PROCESSES > 1): the normal
 * producer on the shared port, whose GET /metrics serves the whole cluster's
 * metrics (asked from the primary), and which tells the primary when it is
 * ready. close() closes the producer as usual, then the IPC channel, so the
 * process can end.
 */
export async function startProducerChild(opts: Omit<StartProducerOptions, 'metricsText'>): Promise<RunningProducer> {
  if (!process.send) throw new Error('startProducerChild: this process was not forked by a producer cluster primary (no IPC channel)');
  const registry = opts.registry ?? new Registry();
  const primary = primaryChannel();
  shareOwnMetrics(primary, registry);
  const producer = await startProducer({ ...opts, registry, metricsText: clusterMetricsFromPrimary(primary) });
  primary.send({ type: 'avfleet:producer-ready' });
  return {
    address: producer.address,
    async close() {
      await producer.close();
      if (process.connected) process.disconnect();
    },
  };
}
