/**
 * A retro detection: a part that was scanned clean within the retro-scan window and is found
 * infected when scanned again with newer signatures. The retro-scan (packages/core/src/retroscan)
 * produces it; the webhook outbox (packages/core/src/notify) delivers it as JSON, and
 * `GET /retro-detections` lists it. The JSON field names are the webhook's wire format.
 */

/** One earlier scan that carried the part, as its front end knew it. */
export interface RetroCarrier {
  readonly scanId: string;
  /** When the scan was accepted (ISO 8601). */
  readonly time: string;
  readonly queueId: string | null;
  readonly from: string | null;
  readonly recipients: readonly string[];
  /** The message's Message-ID header when it had one (used to find it in mailboxes). */
  readonly messageId: string | null;
}

export interface RetroDetection {
  readonly type: 'retro_detection';
  /** Stable id of this detection (a ULID). */
  readonly id: string;
  readonly rule: string;
  readonly viruses: readonly string[];
  /** SHA-256 of the part's decoded bytes, hex. */
  readonly digest: string;
  /** The signature version that found it, as the worker publishes it (null when unknown). */
  readonly signatureVersion: string | null;
  /** When it was found (ISO 8601). */
  readonly detectedAt: string;
  /** Every remembered scan that carried the part (bounded by the retro-scan's limits). */
  readonly carriers: readonly RetroCarrier[];
  /** True when more scans carried it than the event lists. */
  readonly carriersTruncated: boolean;
}
