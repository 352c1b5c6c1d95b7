import type { AggregateResult } from './aggregate-types';
import type { ScanJobResult } from '../contracts/scan-job-data';
import type { ApiVerdict, PartSummary, ResultSymbol, ScanResult } from '../contracts/scan-result';

/** Assemble the result JSON of docs/interfaces.md §3 from the aggregation and the per-body verdicts. */
export function buildScanResult(input: {
  scanId: string;
  aggregate: AggregateResult;
  parts: readonly PartSummary[];
  results: readonly ScanJobResult[];
  skipped: Readonly<Record<string, string>>;
  queueId: string | null;
  elapsedMs: number;
}): ScanResult {
  const perPart = new Map<string, Record<string, ApiVerdict>>();
  const wholeMessage: Record<string, ApiVerdict> = {};
  for (const r of input.results) {
    const v: ApiVerdict = { ...r.verdict, cached: r.cached, ms: r.ms };
    if (r.partIndex === null) {
      wholeMessage[r.rule] = v;
      continue;
    }
    const m = perPart.get(r.partIndex) ?? {};
    m[r.rule] = v;
    perPart.set(r.partIndex, m);
  }
  const symbols: Record<string, ResultSymbol> = {};
  for (const [name, s] of Object.entries(input.aggregate.symbols)) {
    symbols[name] = {
      name,
      score: s.score,
      ...(s.options.length > 0 ? { options: s.options } : {}),
      ...(s.description ? { description: s.description } : {}),
    };
  }
  return {
    id: input.scanId,
    state: 'done',
    action: input.aggregate.action,
    score: input.aggregate.score,
    required_score: input.aggregate.requiredScore,
    symbols,
    message: input.aggregate.message,
    parts: input.parts.map((p) => ({ ...p, verdicts: perPart.get(p.path) ?? {} })),
    ...(Object.keys(wholeMessage).length > 0 ? { message_verdicts: wholeMessage } : {}),
    skipped: input.skipped,
    queue_id: input.queueId,
    elapsed_ms: input.elapsedMs,
  };
}
