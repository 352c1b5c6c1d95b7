import type { Verdict } from '@avfleet/scanners';
import type { BodyRange } from '../mime/mime-part';

/** Bumped when the job payload shape changes incompatibly. */
export const JOB_SCHEMA_VERSION = 1;

/**
 * Bodies up to this size are read from the store whole, in one call; larger ones are streamed
 * from the store to the scanner (a 64 KiB file stream costs about three times the CPU of one
 * read). It is also the largest body a job reads as a range of the stored message (D59: read,
 * decoded and checked whole before the scan): a larger one is stored on its own by the
 * producer, decoded, and streamed — decoding it again in the worker costs more CPU than that.
 */
export const WHOLE_READ_MAX_BYTES = 1024 * 1024;

/**
 * One (rule, body) scan job. Payloads carry references, never bytes: the body
 * is read from the object store under `key`.
 */
export interface ScanJobData {
  readonly v: typeof JOB_SCHEMA_VERSION;
  readonly scanId: string;
  readonly rule: string;
  /** Leaf part path (`1`, `2.1`) or null for whole-message mode. */
  readonly partIndex: string | null;
  /** Object-store key of the bytes (`parts/<sha256>` or the raw message key). */
  readonly key: string;
  /**
   * Set when the body is a range of the raw message under `key` (D59: one store write per
   * message): the worker reads `length` bytes from `offset`, removes `encoding` and checks
   * that they hash to `sha256`. Absent: `key` holds the body's own bytes.
   */
  readonly range?: BodyRange;
  /** SHA-256 hex of the original bytes (the cache key digest). */
  readonly sha256: string;
  readonly size: number;
  readonly filename: string | null;
  readonly contentType: string | null;
  /** eicar_fake_pattern matched: the scanner receives the EICAR test string instead. */
  readonly substituteEicar: boolean;
  /** Digest of the configuration the producer used (rolling updates). */
  readonly configDigest: string;
  /** Absolute deadline (ms since epoch) after which the result is no longer awaited. */
  readonly deadlineMs: number | null;
  /**
   * Envelope facts some protocols send along (ICAP X-Client-IP/X-Rcpt-To, Kaspersky SE
   * X-KAV-HostIP, F-Prot's queue id): only in jobs of rules whose scanner type sends them
   * (`sendsEnvelope`), and only the first recipient (D63). The request metadata as a whole is
   * in the scan's state (queue/scan-state.ts), once per scan.
   */
  readonly context?: ScanJobContext;
}

export interface ScanJobContext {
  readonly clientIp: string | null;
  readonly from: string | null;
  readonly rcpt: readonly string[];
  readonly helo: string | null;
  readonly queueId: string | null;
}

/** What a scan job returns (stored by BullMQ in the parent's processed set). */
export interface ScanJobResult {
  readonly rule: string;
  readonly partIndex: string | null;
  readonly verdict: Verdict;
  readonly cached: boolean;
  readonly ms: number;
}
