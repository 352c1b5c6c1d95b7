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
