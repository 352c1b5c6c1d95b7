import type { ActionName } from '@avfleet/config';
import type { Verdict } from '@avfleet/scanners';

export type ScanState = 'queued' | 'running' | 'done';

/** A verdict as the API shows it (docs/interfaces.md §3 `parts[].verdicts`). */
export type ApiVerdict = Verdict & { readonly cached: boolean; readonly ms: number };

export interface PartSummary {
  /** 1-based ordinal of the leaf part in the message (depth-first). */
  readonly index: number;
  /** The leaf's path: `2`, or `2.1` for a part of an attached message. */
  readonly path: string;
  readonly filename: string | null;
  readonly content_type: string | null;
  readonly detected_type: string | null;
  readonly size: number;
  readonly sha256: string;
}

export interface ResultSymbol {
  readonly name: string;
  readonly score: number;
  readonly options?: readonly string[];
  readonly description?: string;
}

/** A part as the result lists it: its summary and each rule's verdict on it. */
export type ResultPart = PartSummary & { readonly verdicts: Readonly<Record<string, ApiVerdict>> };

/** The result JSON of docs/interfaces.md §3. */
export interface ScanResult {
  readonly id: string;
  readonly state: ScanState;
  readonly action: ActionName;
  readonly score: number;
  readonly required_score: number;
  readonly symbols: Readonly<Record<string, ResultSymbol>>;
  readonly message: string | null;
  /** At most MAX_RESULT_PARTS (contracts/field-bounds.ts); file names and types cut to MAX_NAME_BYTES. */
  readonly parts: readonly ResultPart[];
  /** Parts scanned but not listed in `parts` (only when more than MAX_RESULT_PARTS were scanned). */
  readonly parts_omitted?: number;
  /** Whole-message verdicts (scan_mime_parts = false), rule → verdict. */
  readonly message_verdicts?: Readonly<Record<string, ApiVerdict>>;
  readonly skipped: Readonly<Record<string, string>>;
  readonly queue_id: string | null;
  readonly elapsed_ms: number;
}

/** A scan not finished yet. */
export interface PendingScan {
  readonly id: string;
  readonly state: Exclude<ScanState, 'done'>;
}
