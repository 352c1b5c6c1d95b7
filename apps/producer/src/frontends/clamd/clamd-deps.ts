import type { InflightBudget, Logger, MessageSubmitter } from '@avfleet/core';

/** Bounds of the clamd front end; each keeps one client from hurting the others (README, "clamd protocol"). */
export interface ClamdLimits {
  /** Bytes of one INSTREAM body (AVFLEET_MAX_MESSAGE_BYTES): more is answered `INSTREAM size limit exceeded. ERROR`. */
  readonly maxStreamBytes: number;
  /** Connections open at once; more are closed at once. */
  readonly maxConnections: number;
  /** A connection waiting for a command or for stream bytes that sends nothing for this long is closed (clamd's IdleTimeout). */
  readonly idleTimeoutMs: number;
  /** A command, or a whole INSTREAM body, must arrive within this from its first byte (a slow-drip client is closed). */
  readonly requestTimeoutMs: number;
  /** Commands in one IDSESSION before it is ended with an error. */
  readonly maxSessionCommands: number;
}

/** The defaults: clamd's IdleTimeout (30 s) and ReadTimeout (120 s), MaxConnectionQueueLength-like 200 connections. */
export const DEFAULT_CLAMD_LIMITS: Omit<ClamdLimits, 'maxStreamBytes'> = Object.freeze({
  maxConnections: 200,
  idleTimeoutMs: 30_000,
  requestTimeoutMs: 120_000,
  maxSessionCommands: 1000,
});

/** What the clamd front end needs, narrow so its tests run against a fake submitter. */
export interface ClamdDeps {
  readonly submitter: Pick<MessageSubmitter, 'submit'>;
  readonly logger: Logger;
  readonly limits: ClamdLimits;
  /**
   * The producer's one in-flight byte budget (AVFLEET_MAX_INFLIGHT_BYTES), shared with HTTP and the
   * milter: each INSTREAM chunk is reserved before its bytes are kept; over it, a temporary ERROR.
   */
  readonly inflight: InflightBudget;
  /** Every stream is answered by then (AVFLEET_CLAMD_DEADLINE): a partial result, or an ERROR. */
  readonly deadlineSec: number;
  /** The VERSION reply (versionLine). */
  readonly versionLine: string;
}
