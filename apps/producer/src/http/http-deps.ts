import type { Queue } from 'bullmq';
import type { FleetMetrics, Logger, ResultStore, ScanResult } from '@avfleet/core';
import type { IntakeDeps } from '../intake/accept-message';
import type { Backpressure } from '../intake/backpressure';
import type { ResultWaiter } from '../intake/await-result';

/** Readiness of the things a request needs. */
export interface Readiness {
  readonly ok: boolean;
  readonly redis: string;
  readonly store: string;
  readonly rules?: Readonly<Record<string, string>>;
}

/** Everything the HTTP layer needs, injected (tests build it without listening). */
export interface HttpDeps {
  readonly intake: IntakeDeps;
  readonly waiter: ResultWaiter;
  readonly results: ResultStore;
  readonly aggregateQueue: Queue;
  readonly backpressure: Backpressure;
  readonly metrics: FleetMetrics;
  readonly logger: Logger;
  readonly apiToken: string | null;
  readonly maxMessageBytes: number;
  readonly readiness: () => Promise<Readiness>;
  /** The result so far, with unfinished rules as `deadline` fail verdicts (Deadline header). */
  readonly partialResult: (scanId: string) => Promise<ScanResult | null>;
}
