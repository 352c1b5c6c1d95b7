import type { ApiVerdict, ScanResult } from '@avfleet/core';
import { CLAMD_REPLY, streamError, streamFound } from './clamd-reply';

/**
 * Every verdict of a result in a fixed order: the whole-message verdicts first, then the
 * parts in their order, and within each body the rules by name.
 */
export function orderedVerdicts(result: ScanResult): ApiVerdict[] {
  const byRule = (verdicts: Readonly<Record<string, ApiVerdict>>): ApiVerdict[] =>
    Object.keys(verdicts).sort().map((rule) => verdicts[rule] as ApiVerdict);
  return [...byRule(result.message_verdicts ?? {}), ...result.parts.flatMap((p) => byRule(p.verdicts))];
}

/** A text became a symbol: it is an option of some symbol (`text`, or `text|file` with show_attachments). */
function keptAsSymbol(result: ScanResult, text: string): boolean {
  return Object.values(result.symbols).some((s) => (s.options ?? []).some((o) => o === text || o.startsWith(`${text}|`)));
}

/** clamd's heuristic name in a verdict text (`File is encrypted: Heuristics.Encrypted.Zip`), if it carries one. */
const HEURISTIC_NAME = /\b(Heuristics\.[A-Za-z0-9_.-]+)/;

/**
 * The name clamd would report for an encrypted or macro verdict: the heuristic name its text
 * carries (a clamav rule's fresh verdict), else clamd's generic one (a cached verdict, or a
 * scanner other than clamd).
 */
function heuristicName(v: ApiVerdict & { kind: 'encrypted' | 'macro' }): string {
  return HEURISTIC_NAME.exec(v.text)?.[1] ?? (v.kind === 'encrypted' ? 'Heuristics.Encrypted' : 'Heuristics.OLE2.ContainsMacros');
}

/**
 * The clamd reply to a finished scan, in `orderedVerdicts` order, counting only what the
 * aggregation kept (the text is an option of a symbol: a whitelisted name is not):
 * - `stream: <name> FOUND` — the first threat name of a `virus` verdict; without one, the
 *   heuristic name of the first `encrypted` or `macro` verdict, as clamd reports those
 *   (`Heuristics.Encrypted.Zip`, `Heuristics.OLE2.ContainsMacros.VBA`);
 * - `stream: <text> ERROR` — nothing found and every verdict is a fail: `text` is the first
 *   fail's (a scanner error, a timeout, or the Deadline's `deadline` fail);
 * - `stream: OK` — otherwise (clean and category verdicts, some rules failed while others
 *   answered, or no rule had anything to scan).
 */
export function resultToReply(result: ScanResult): string {
  const verdicts = orderedVerdicts(result);
  for (const v of verdicts) {
    if (v.kind !== 'virus') continue;
    const name = v.names.find((n) => keptAsSymbol(result, n));
    if (name !== undefined) return streamFound(name);
  }
  for (const v of verdicts) {
    if ((v.kind === 'encrypted' || v.kind === 'macro') && keptAsSymbol(result, v.text)) return streamFound(heuristicName(v));
  }
  const firstFail = verdicts.find((v) => v.kind === 'fail');
  if (firstFail && firstFail.kind === 'fail' && verdicts.every((v) => v.kind === 'fail')) return streamError(firstFail.text);
  return CLAMD_REPLY.STREAM_OK;
}
