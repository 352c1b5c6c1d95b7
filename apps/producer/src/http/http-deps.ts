import type { FleetMetrics, Logger, MessageSubmitter, Readiness, ScanResult } from '@avfleet/core';

/** Reads stored results (ResultStore). */
export interface ResultReader {
  load(scanId: string): Promise<ScanResult | null>;
}

/** Finds a scan's aggregation job (the BullMQ aggregate Queue). */
export interface AggregateJobs {
  getJob(id: string): Promise<{ getState(): Promise<string> } | undefined>;
}

/**
 * Everything the HTTP layer needs, injected as narrow interfaces so tests can
 * build the server from fakes, without Redis or a store.
 */
export interface HttpDeps {
  /** Submit a message and get its verdict by a deadline (core's protocol-neutral entry point). */
  readonly submitter: MessageSubmitter;
  readonly results: ResultReader;
  readonly aggregateQueue: AggregateJobs;
  readonly metrics: FleetMetrics;
  readonly logger: Logger;
  readonly apiToken: string | null;
  readonly maxMessageBytes: number;
  readonly readiness: () => Promise<Readiness>;
  /** The text GET /metrics serves instead of `metrics.registry`'s own (a producer cluster child: the whole cluster's). */
  readonly metricsText?: () => Promise<string>;
}
