import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Logger } from '@avfleet/core';
import { isClusterMessage, type ClusterMessage, type RegistryJson } from './cluster-messages';

/**
 * GET /metrics of a producer cluster describes the whole producer: the child
 * that gets the scrape asks the primary, the primary collects every ready
 * child's registry as JSON and merges them with prom-client's
 * AggregatorRegistry.aggregate (counters and histograms summed, gauges by
 * each metric's `aggregator`), and the child answers with that text.
 *
 * The primary asks only children that said they are ready, so a child that is
 * still starting (or was just restarted) never stalls a scrape; a child that
 * does not answer within the time limit (it is dying) is left out of that
 * scrape rather than failing it.
 */

/** One end of the IPC channel, as seen from the side that uses it. */
export interface IpcEnd {
  send(message: ClusterMessage): void;
  /** Registers `handler` for every message that arrives. */
  onMessage(handler: (message: unknown) => void): void;
}

/** How long the primary waits for the children's parts, and a child for the primary's answer (ms). */
export const CHILD_ANSWER_TIMEOUT_MS = 3000;
export const PRIMARY_ANSWER_TIMEOUT_MS = CHILD_ANSWER_TIMEOUT_MS + 2000;

/** Child side: answer the primary's collection requests with this process's own registry. */
export function shareOwnMetrics(primary: IpcEnd, registry: Registry): void {
  primary.onMessage((message) => {
    if (!isClusterMessage(message) || message.type !== 'avfleet:metrics-collect') return;
    registry.getMetricsAsJSON().then(
      (metrics) => primary.send({ type: 'avfleet:metrics-part', id: message.id, metrics }),
      (err: unknown) => primary.send({ type: 'avfleet:metrics-part', id: message.id, error: err instanceof Error ? err.message : String(err) }),
    );
  });
}

/** Child side: a function that fetches the whole cluster's exposition text from the primary. */
export function clusterMetricsFromPrimary(primary: IpcEnd, timeoutMs = PRIMARY_ANSWER_TIMEOUT_MS): () => Promise<string> {
  let nextId = 0;
  const waiting = new Map<number, { resolve(text: string): void; reject(err: Error): void }>();
  primary.onMessage((message) => {
    if (!isClusterMessage(message) || message.type !== 'avfleet:metrics-reply') return;
    const w = waiting.get(message.id);
    if (!w) return;
    waiting.delete(message.id);
    if (typeof message.text === 'string') w.resolve(message.text);
    else w.reject(new Error(`the producer's primary process could not aggregate the metrics: ${message.error ?? 'no reason given'}`));
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`the producer's primary process did not send the aggregated metrics within ${timeoutMs} ms`));
      }, timeoutMs);
      waiting.set(id, {
        resolve: (text) => (clearTimeout(timer), resolve(text)),
        reject: (err) => (clearTimeout(timer), reject(err)),
      });
      primary.send({ type: 'avfleet:metrics-request', id });
    });
}

/** A child as the primary sees it. */
export interface ChildEnd {
  /** Stable id (cluster worker id). */
  readonly id: number;
  send(message: ClusterMessage): void;
}

interface Collection {
  readonly waitingFor: Set<number>;
  readonly parts: RegistryJson[];
  done(): void;
}

/** Primary side of the protocol. */
export interface MetricsAggregator {
  /** Feed every message a child sends (cluster's 'message' event). */
  handle(from: ChildEnd, message: unknown): void;
  /** A child exited: stop waiting for its part. */
  forget(childId: number): void;
}

/**
 * Primary side: answers a child's MetricsRequest with the merged registries of
 * `readyChildren()` (asked at that moment).
 */
export function aggregateChildMetrics(opts: {
  readyChildren: () => readonly ChildEnd[];
  logger: Logger;
  timeoutMs?: number;
}): MetricsAggregator {
  const timeoutMs = opts.timeoutMs ?? CHILD_ANSWER_TIMEOUT_MS;
  const collections = new Map<number, Collection>();
  let nextId = 0;

  const collect = (): Promise<RegistryJson[]> =>
    new Promise((resolve) => {
      const id = nextId++;
      const children = opts.readyChildren();
      const parts: RegistryJson[] = [];
      const timer = setTimeout(() => {
        opts.logger.warn({ missing: [...c.waitingFor] }, 'producer processes did not send their metrics in time; the scrape leaves them out');
        c.done();
      }, timeoutMs);
      const c: Collection = {
        waitingFor: new Set(children.map((ch) => ch.id)),
        parts,
        done() {
          clearTimeout(timer);
          collections.delete(id);
          resolve(parts);
        },
      };
      collections.set(id, c);
      if (children.length === 0) return c.done();
      for (const ch of children) ch.send({ type: 'avfleet:metrics-collect', id });
    });

  const settle = (c: Collection, childId: number): void => {
    c.waitingFor.delete(childId);
    if (c.waitingFor.size === 0) c.done();
  };

  return {
    handle(from, message) {
      if (!isClusterMessage(message)) return;
      if (message.type === 'avfleet:metrics-part') {
        const c = collections.get(message.id);
        if (!c) return;
        if (message.metrics) c.parts.push(message.metrics);
        else opts.logger.warn({ child: from.id, err: message.error }, 'a producer process could not read its own metrics');
        settle(c, from.id);
      } else if (message.type === 'avfleet:metrics-request') {
        collect()
          .then((parts) => AggregatorRegistry.aggregate(parts).metrics())
          .then(
            (text) => from.send({ type: 'avfleet:metrics-reply', id: message.id, text }),
            (err: unknown) => from.send({ type: 'avfleet:metrics-reply', id: message.id, error: err instanceof Error ? err.message : String(err) }),
          );
      }
    },
    forget(childId) {
      for (const c of [...collections.values()]) if (c.waitingFor.has(childId)) settle(c, childId);
    },
  };
}
