import { FLEET_DEFAULTS, type ArchiveLimits, type MimeLimitSettings } from '@avfleet/config';
import type { ArchiveLimitName } from './archive-listing';
import { DEFAULT_ARCHIVE_LIMITS } from './archive-listing';

/** Where a part's bytes came from. */
export type PartOrigin =
  /** An ordinary MIME leaf (possibly inside an attached message). */
  | 'mime'
  /** A `begin 644 name` block found inside a text part. */
  | 'uuencode'
  /** An attachment inside a TNEF (`winmail.dat`) stream. */
  | 'tnef';

/**
 * Where a part's encoded body lies in the raw message handed to the splitter: decoding the
 * `length` bytes from `offset` with `encoding` (decodeTransferEncoding) gives the part's content.
 */
export interface BodyRange {
  readonly offset: number;
  readonly length: number;
  /** The Content-Transfer-Encoding, lower-cased (null: none, the bytes as they are). */
  readonly encoding: string | null;
}

/**
 * One leaf of the message (docs/interfaces.md §6.2): attached messages are opened,
 * their leaves appear with a path (`2.1`), the attached message itself never.
 */
export interface MimePart {
  /** Depth-first leaf number: `1`, `2`, `2.1` (inside an attached message or a text part's uuencoded block). */
  readonly index: string;
  readonly origin: PartOrigin;
  /** Decoded file name (RFC 2231/2047), precedence per docs/semantics.md §3.2, or null. */
  readonly filename: string | null;
  /** True when the file name came from `Content-Type` (name / filename parameter). */
  readonly filenameFromContentType: boolean;
  /** `type/subtype`, lower-cased; null when the part has no usable Content-Type. */
  readonly declaredType: string | null;
  /** `Content-Disposition` value, lower-cased, or null. */
  readonly disposition: string | null;
  /** Extension found by magic-byte sniffing (`pdf`, `exe`, `zip`, `txt`, …), or null. */
  readonly detectedExt: string | null;
  /** MIME type associated with `detectedExt`, or null. */
  readonly detectedType: string | null;
  readonly isAttachment: boolean;
  readonly isText: boolean;
  readonly isImage: boolean;
  readonly hasContentId: boolean;
  /**
   * Decoded content (transfer encoding removed). A base64 attachment seen before
   * (decoded-facts-memo.ts) is decoded only when this is first read.
   */
  readonly content: Buffer;
  /**
   * The part's body as one plain range of the raw message, or null when its bytes are not one
   * (uuencoded blocks and TNEF members, leaves of an attached message that was itself encoded,
   * bodies the splitter copied, empty bodies).
   */
  readonly range: BodyRange | null;
  /** SHA-256 hex of `content`, computed when first read (or known from the memo). */
  readonly sha256: string;
  readonly size: number;
  /** Word count of text parts, null for other parts. */
  readonly words: number | null;
  /** Archive member names (nested as `a.zip > b.txt`), for filters only; empty when not an archive. */
  readonly archiveMembers: readonly string[];
  /** True when the archive is encrypted (some member could not be read). */
  readonly archiveEncrypted: boolean;
  /** True when an archive limit (or a corrupt archive) cut the member listing short (counted in avfleet_archive_limit_hits_total). */
  readonly archiveTruncated: boolean;
  /** Which archive limit cut the listing short (`depth`, `members`, `bytes`, `ratio`), or null (none, or a corrupt archive). */
  readonly archiveLimit: ArchiveLimitName | null;
}

/** An attached message that was opened (its leaves are parts; it is not scanned whole). */
export interface OpenedContainer {
  readonly index: string;
  readonly kind: 'rfc822';
  readonly filename: string | null;
}

export interface MessageHeaderSummary {
  readonly messageId: string | null;
  readonly subject: string | null;
  readonly from: string | null;
}

/**
 * What the bytes handed to intake are: a mail `message` (split into its MIME leaves), or one
 * `file` (a clamd client's stream that is not mail): a single nameless attachment, no MIME split.
 */
export type BodyShape = 'message' | 'file';

export interface SplitMessage {
  /** `file`: one part holding every byte; message-level text gates (text_part_min_words) do not apply. */
  readonly shape: BodyShape;
  readonly parts: readonly MimePart[];
  /** Word counts of every text part (including those of attached messages), in part order. */
  readonly textWordCounts: readonly number[];
  readonly containers: readonly OpenedContainer[];
  readonly headers: MessageHeaderSummary;
  readonly rawSize: number;
}

/** Bounds on what one message may make us do (AVFLEET_MIME_*); exceeding one gives a MimeError. */
export interface MimeLimits extends MimeLimitSettings {
  /** Bounds for archive member listing (AVFLEET_ARCHIVE_*). */
  readonly archive: ArchiveLimits;
}

/** The fleet settings' defaults (AVFLEET_MIME_*, AVFLEET_ARCHIVE_*). */
export const DEFAULT_MIME_LIMITS: MimeLimits = Object.freeze({ ...FLEET_DEFAULTS.mime, archive: DEFAULT_ARCHIVE_LIMITS });
