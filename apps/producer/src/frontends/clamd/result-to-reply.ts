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

/** A name became a symbol: it is an option of some symbol (`name`, or `name|file` with show_attachments). */
function keptAsSymbol(result: ScanResult, name: string): boolean {
  return Object.values(result.symbols).some((s) => (s.options ?? []).some((o) => o === name || o.startsWith(`${name}|`)));
}

/**
 * The clamd reply to a finished scan:
 * - `stream: <name> FOUND` — `name` is the first threat name, in `orderedVerdicts` order, of a
 *   `virus` verdict that the aggregation kept (it is an option of a symbol: a name on the rule's
 *   whitelist is not);
 * - `stream: <text> ERROR` — no such name, and every verdict is a fail: `text` is the first
 *   fail's text (a scanner error, a timeout, or the Deadline's `deadline` fail);
 * - `stream: OK` — otherwise (clean, encrypted, macro and category verdicts, some rules failed
 *   while others answered, or no rule had anything to scan).
 */
export function resultToReply(result: ScanResult): string {
  const verdicts = orderedVerdicts(result);
  for (const v of verdicts) {
    if (v.kind !== 'virus') continue;
    const name = v.names.find((n) => keptAsSymbol(result, n));
    if (name !== undefined) return streamFound(name);
  }
  const firstFail = verdicts.find((v) => v.kind === 'fail');
  if (firstFail && firstFail.kind === 'fail' && verdicts.every((v) => v.kind === 'fail')) return streamError(firstFail.text);
  return CLAMD_REPLY.STREAM_OK;
}
