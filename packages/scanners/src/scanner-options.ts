import type { AttemptObserver } from './scanner';
import type { ServerList, UpstreamHealthOptions } from './transport/upstream-list';

/**
 * Options every scanner client takes, already resolved (defaults from
 * packages/config's scanner-defaults; core's rule-to-scanner-options builds
 * them from a rule). The hash services use only the timeout and `onAttempt`.
 */
export interface ScannerCommonOptions {
  /** The rule's parsed `servers` (hash services: no entries). */
  readonly servers: ServerList;
  /** Seconds per attempt (connect plus the whole exchange). */
  readonly timeoutSec: number;
  /** Extra attempts after the first, on I/O errors only. */
  readonly retransmits: number;
  /** Fleet-wide failure-marking settings; defaults 10 s / 4 / 60 s. */
  readonly upstream?: Partial<UpstreamHealthOptions>;
  /** Called after every attempt (metrics, logs). */
  readonly onAttempt?: AttemptObserver;
  /** The rule's `default_score`: weight of a threat verdict where the protocol gives none (icap; default 1). */
  readonly defaultScore?: number;
}

/** Where temp files go unless a rule says otherwise (`tmpdir`). */
export const DEFAULT_TMPDIR = '/tmp';

/** Scanners that receive a temp file path instead of the bytes (savapi, kaspersky, avast). */
export interface TempFileScannerOptions extends ScannerCommonOptions {
  /** Directory for the private temp files; the scanner daemon must be able to read them. */
  readonly tmpdir: string;
}

/** Avira SAVAPI: the licence's product id is sent with `SET PRODUCT`. */
export interface SavapiScannerOptions extends TempFileScannerOptions {
  readonly productId: string;
}
