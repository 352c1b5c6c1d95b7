import type { CorpusEntry } from '../../../test/helpers/corpus';
import { makeOutcome, formatOutcome, isSideError, sameOutcome, type AvOutcome, type SideResult } from './outcome';
import { isAvSymbol } from './reference-rule';

/** The outcome the manifest recorded for a message (fields rspamd_av, rspamd_action). */
export function manifestOutcome(entry: CorpusEntry): AvOutcome {
  return makeOutcome(entry.rspamd_av ?? {}, entry.rspamd_action, isAvSymbol);
}

export interface ManifestMismatch {
  readonly file: string;
  readonly recorded: string;
  readonly live: string;
  /** The explanation recorded in known-differences.json (manifestNotes), or null. */
  readonly note: string | null;
}

/** Live Rspamd against the recorded reference: a check that this Rspamd setup matches the one that recorded it. */
export function checkAgainstManifest(entry: CorpusEntry, live: SideResult, note: string | null): ManifestMismatch | null {
  const recorded = manifestOutcome(entry);
  if (!isSideError(live) && sameOutcome(recorded, live)) return null;
  return { file: entry.file, recorded: formatOutcome(recorded), live: formatOutcome(live), note };
}
