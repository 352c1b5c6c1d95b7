import { readFileSync } from 'node:fs';
import type { AvOutcome } from './outcome';

/** One decision row of docs/decisions.md. */
export interface Decision {
  readonly id: string;
  readonly subject: string;
  readonly changesResult: string;
}

/** One corpus message whose result differs on purpose (scripts/parity/known-differences.json). */
export interface KnownDifference {
  /** Corpus path relative to the corpus folder, as in manifest.jsonl. */
  readonly file: string;
  /** `D49`, … : a row of docs/decisions.md. */
  readonly decision: string;
  /** Why this message differs under that decision, in one or two sentences. */
  readonly explanation: string;
  readonly rspamd: AvOutcome;
  readonly avfleet: AvOutcome;
}

export interface KnownDifferences {
  readonly byFile: ReadonlyMap<string, KnownDifference>;
  /** Corpus file → why live Rspamd differs from the manifest's recorded reference for it. */
  readonly manifestNotes: ReadonlyMap<string, string>;
}

const ROW = /^\|\s*(D\d+)\s*\|([^|]*)\|(?:[^|]*\|){2}([^|]*)\|\s*$/;

/** Reads the decision table of docs/decisions.md (id, subject, "changes AV result"). */
export function loadDecisions(path: string): Map<string, Decision> {
  const out = new Map<string, Decision>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = ROW.exec(line.trim());
    if (!m) continue;
    if (out.has(m[1])) throw new Error(`AVF_ERR_PARITY_DECISIONS: ${path} defines ${m[1]} twice; ids are unique and never reused`);
    out.set(m[1], { id: m[1], subject: m[2].trim(), changesResult: m[3].trim() });
  }
  if (out.size === 0) throw new Error(`AVF_ERR_PARITY_DECISIONS: no decision rows ("| Dn | … |") found in ${path}`);
  return out;
}

/**
 * Reads known-differences.json and checks it against the decisions: every entry names a
 * decision that exists, and no file is listed twice. Also returns the notes on manifest discrepancies.
 */
export function loadKnownDifferences(path: string, decisions: ReadonlyMap<string, Decision>): KnownDifferences {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as { differences?: KnownDifference[]; manifestNotes?: { file: string; note: string }[] };
  const out = new Map<string, KnownDifference>();
  for (const d of doc.differences ?? []) {
    if (!decisions.has(d.decision)) {
      throw new Error(`AVF_ERR_PARITY_DECISIONS: ${path} names ${d.decision} for ${d.file}, which docs/decisions.md does not define; add the decision there first`);
    }
    if (out.has(d.file)) throw new Error(`AVF_ERR_PARITY_DECISIONS: ${path} lists ${d.file} twice; give one entry per message`);
    out.set(d.file, d);
  }
  const notes = new Map<string, string>();
  for (const n of doc.manifestNotes ?? []) notes.set(n.file, n.note);
  return { byFile: out, manifestNotes: notes };
}
