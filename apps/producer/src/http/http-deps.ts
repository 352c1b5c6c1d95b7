import type { FleetMetrics, Logger, RequestMeta, ScanResult } from '@avfleet/core';
import type { AcceptedMessage } from '../intake/accept-message';

/** Readiness of the things a request needs. */
export interface Readiness {
  readonly ok: boolean;
  readonly redis: string;
  readonly store: string;
  readonly rules?: Readonly<Record<string, string>>;
}

/** Stores the raw message and enqueues its scan (createIntake wraps acceptMessage). */
export interface MessageIntake {
  accept(raw: Buffer, meta: RequestMeta): Promise<AcceptedMessage>;
}

/** Waits for a finished result (ResultWaiter). */
export interface ResultSource {
  /** The result, or null when it is not there within `waitMs`. */
  wait(scanId: string, waitMs: number): Promise<ScanResult | null>;
}

/** Reads stored results (ResultStore). */
export interface ResultReader {
  load(scanId: string): Promise<ScanResult | null>;
}

/** Finds a scan's aggregation job (the BullMQ aggregate Queue). */
export interface AggregateJobs {
  getJob(id: string): Promise<{ getState(): Promise<string> } | undefined>;
}

/** Queue depth check (Backpressure). */
export interface QueueDepth {
  /** Seconds a client should wait before retrying, or 0 when there is room. */
  retryAfterSec(): Promise<number>;
}

/**
 * Everything the HTTP layer needs, injected as narrow interfaces so tests can
 * build the server from fakes, without Redis or a store.
 */
export interface HttpDeps {
  readonly intake: MessageIntake;
  readonly waiter: ResultSource;
  readonly results: ResultReader;
  readonly aggregateQueue: AggregateJobs;
  readonly backpressure: QueueDepth;
  readonly metrics: FleetMetrics;
  readonly logger: Logger;
  readonly apiToken: string | null;
  readonly maxMessageBytes: number;
  readonly readiness: () => Promise<Readiness>;
  /** The result so far, with unfinished rules as `deadline` fail verdicts (Deadline header). */
  readonly partialResult: (scanId: string) => Promise<ScanResult | null>;
  /** The text GET /metrics serves instead of `metrics.registry`'s own (a producer cluster child: the whole cluster's). */
  readonly metricsText?: () => Promise<string>;
  /** Longest a Redis or store call on the request path may take before the answer is 503 (default INTAKE_TIMEOUT_MS). */
  readonly storeTimeoutMs?: number;
}
