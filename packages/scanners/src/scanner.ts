import type { Readable } from 'node:stream';
import type { Verdict } from './verdict';

/**
 * One body to scan: a MIME part's decoded content or a whole raw message.
 * `open` may be called once per attempt (retransmits re-open the body), so it
 * must return a fresh stream each time.
 */
export interface ScanBody {
  readonly size: number;
  readonly open: () => Promise<Readable> | Readable;
  /** Whole bytes when the caller already holds them (lets clients skip streaming). */
  readonly buffer?: Buffer;
  readonly filename?: string;
  readonly contentType?: string;
  /**
   * True for the whole raw message, false for a MIME part (ICAP builds its request URL
   * and Content-Type from this). When absent, a body without filename and content type
   * is taken as the whole message.
   */
  readonly wholeMessage?: boolean;
  /** Hex digests when already known (hash-lookup services use them instead of reading the body). */
  readonly sha256?: string;
  readonly md5?: string;
}

/** Per-message context some protocols send along (ICAP headers, Kaspersky SE, …). */
export interface ScanContext {
  readonly clientIp?: string;
  readonly from?: string;
  /** The recipients; a part job carries the first only, the one ICAP's X-Rcpt-To sends (D63). */
  readonly rcpt?: readonly string[];
  readonly helo?: string;
  readonly queueId?: string;
  /** Absolute deadline (ms since epoch): the client gives up and answers FAIL(deadline) past it. */
  readonly deadlineMs?: number;
  readonly signal?: AbortSignal;
}

/** What a client reports about every attempt (a seam for metrics and logs; scanners do not use prom-client). */
export interface AttemptEvent {
  readonly server: string;
  readonly attempt: number;
  readonly ok: boolean;
  readonly error?: string;
  readonly ms: number;
}
export type AttemptObserver = (event: AttemptEvent) => void;

/** A scanner client: bytes in, verdict out. A scanner error is a `fail` verdict, never a rejected promise. */
export interface Scanner {
  readonly type: string;
  scan(body: ScanBody, ctx?: ScanContext): Promise<Verdict>;
  /** Signature version for cache keys (clamd VERSION), or null when the scanner reports none. */
  signatureVersion?(): Promise<string | null>;
  /** True when at least one server is in rotation and accepts connections (for /readyz); may probe with a short connect. */
  isReady?(): Promise<boolean>;
  /** Servers currently down (out of rotation, or their last connection failed), for the avfleet_upstream_servers_down gauge; read-only. */
  serversDown?(): number;
  close?(): Promise<void>;
}
