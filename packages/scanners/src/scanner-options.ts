import type { AttemptObserver } from './scanner';
import type { ServerListInput, UpstreamHealthOptions } from './transport/upstream-list';

/**
 * Options every socket scanner client takes, already resolved (defaults from
 * packages/config's scanner-defaults; core's rule-to-scanner-options builds them).
 */
export interface SocketScannerOptions {
  /** The rule's parsed `servers` (same shape as config's ServerList). */
  readonly servers: ServerListInput;
  /** Seconds per attempt (connect plus the whole exchange). */
  readonly timeoutSec: number;
  /** Extra attempts after the first, on I/O errors only. */
  readonly retransmits: number;
  /** Fleet-wide failure-marking settings; defaults 10 s / 4 / 60 s. */
  readonly upstream?: Partial<UpstreamHealthOptions>;
  /** Called after every attempt (metrics, logs). */
  readonly onAttempt?: AttemptObserver;
}

/** Scanners that receive a temp file path instead of the bytes (savapi, kaspersky, avast). */
export interface TempFileScannerOptions extends SocketScannerOptions {
  /** Directory for the private temp files; the scanner daemon must be able to read them. */
  readonly tmpdir: string;
}

/** Avira SAVAPI: the licence's product id is sent with `SET PRODUCT`. */
export interface SavapiScannerOptions extends TempFileScannerOptions {
  readonly productId: string;
}
