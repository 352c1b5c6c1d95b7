import type { FleetMetrics, InflightBudget, Logger, MessageSubmitter, Quarantine, Readiness, RetroAdmin, ScanStatus } from '@avfleet/core';

/**
 * Everything the HTTP layer needs, injected as narrow interfaces so tests can
 * build the server from fakes, without Redis or a store (core's openIntake
 * provides the real ones).
 */
export interface HttpDeps {
  /** Submit a message and get its verdict by a deadline (core's protocol-neutral entry point). */
  readonly submitter: MessageSubmitter;
  /** A submitted scan's result or state; null when unknown or expired. */
  readonly scanStatus: (scanId: string) => Promise<ScanStatus | null>;
  readonly metrics: FleetMetrics;
  readonly logger: Logger;
  readonly apiToken: string | null;
  /** The admin token of the quarantine routes (AVFLEET_ADMIN_TOKEN); null: those routes answer 404. */
  readonly adminToken?: string | null;
  /** The quarantine the admin routes read, release and delete; absent: those routes answer 404. */
  readonly quarantine?: Pick<Quarantine, 'list' | 'get' | 'raw' | 'release' | 'remove'>;
  /** The retro-scan's admin side (POST /retroscan, GET /retro-detections); absent or null: those routes answer 404. */
  readonly retro?: RetroAdmin | null;
  /** AVFLEET_RETROSCAN_WINDOW: the default and earliest `since` of POST /retroscan. */
  readonly retroWindowSec?: number;
  readonly maxMessageBytes: number;
  /** The producer's one in-flight byte budget (AVFLEET_MAX_INFLIGHT_BYTES), shared with the other front ends. */
  readonly inflight: InflightBudget;
  readonly readiness: () => Promise<Readiness>;
  /** The text GET /metrics serves instead of `metrics.registry`'s own (a producer cluster child: the whole cluster's). */
  readonly metricsText?: () => Promise<string>;
}
