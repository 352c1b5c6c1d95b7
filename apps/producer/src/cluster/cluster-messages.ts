import type { Registry } from 'prom-client';

/** One registry's metrics as Registry.getMetricsAsJSON() gives them (what AggregatorRegistry.aggregate takes). */
export type RegistryJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/**
 * IPC messages between the producer cluster's primary and its children
 * (node:cluster's channel). Every type starts with `avfleet:` so other
 * messages on the channel (prom-client's, Node's own) are left alone.
 */

/** Child → primary: the producer is listening and ready to serve. */
export interface ChildReady {
  readonly type: 'avfleet:producer-ready';
}

/** Child → primary: a client asked this child for GET /metrics; answer with the whole cluster's text. */
export interface MetricsRequest {
  readonly type: 'avfleet:metrics-request';
  readonly id: number;
}

/** Primary → child: the aggregated exposition (or why there is none) for MetricsRequest `id`. */
export interface MetricsReply {
  readonly type: 'avfleet:metrics-reply';
  readonly id: number;
  readonly text?: string;
  readonly error?: string;
}

/** Primary → child: send your own registry as JSON (Registry.getMetricsAsJSON) for collection `id`. */
export interface MetricsCollect {
  readonly type: 'avfleet:metrics-collect';
  readonly id: number;
}

/** Child → primary: this child's registry for collection `id`. */
export interface MetricsPart {
  readonly type: 'avfleet:metrics-part';
  readonly id: number;
  readonly metrics?: RegistryJson;
  readonly error?: string;
}

export type ClusterMessage = ChildReady | MetricsRequest | MetricsReply | MetricsCollect | MetricsPart;

const TYPES: ReadonlySet<string> = new Set<ClusterMessage['type']>([
  'avfleet:producer-ready', 'avfleet:metrics-request', 'avfleet:metrics-reply', 'avfleet:metrics-collect', 'avfleet:metrics-part',
]);

/** True for one of the messages above (anything else on the channel is not ours). */
export function isClusterMessage(value: unknown): value is ClusterMessage {
  return typeof value === 'object' && value !== null && TYPES.has(String((value as { type?: unknown }).type));
}
