import type { AggregateResult } from './aggregate-types';
import type { ScanJobResult } from '../contracts/scan-job-data';
import type { ApiVerdict, PartSummary, ResultPart, ResultSymbol, ScanResult } from '../contracts/scan-result';
import { MAX_MESSAGE_BYTES, MAX_RESULT_PARTS, boundText } from '../contracts/field-bounds';

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
  const parts = listedParts(input.parts.map((p) => ({ ...p, verdicts: perPart.get(p.path) ?? {} })));
  return {
    id: input.scanId,
    state: 'done',
    action: input.aggregate.action,
    score: input.aggregate.score,
    required_score: input.aggregate.requiredScore,
    symbols,
    message: input.aggregate.message === null ? null : boundText(input.aggregate.message, MAX_MESSAGE_BYTES),
    parts: parts.listed,
    ...(parts.omitted > 0 ? { parts_omitted: parts.omitted } : {}),
    ...(Object.keys(wholeMessage).length > 0 ? { message_verdicts: wholeMessage } : {}),
    skipped: input.skipped,
    queue_id: input.queueId,
    elapsed_ms: input.elapsedMs,
  };
}

/** 0 for a part with a virus, encrypted, macro or category verdict, 1 for one with a fail, 2 for clean only. */
function interest(part: ResultPart): number {
  const kinds = Object.values(part.verdicts).map((v) => v.kind);
  if (kinds.some((k) => k !== 'clean' && k !== 'fail')) return 0;
  return kinds.includes('fail') ? 1 : 2;
}

/**
 * At most MAX_RESULT_PARTS parts, in message order: parts with a finding
 * first, then with a fail, then clean ones; how many were left out is
 * `parts_omitted`. A message with fewer parts lists them all, as before.
 */
function listedParts(parts: readonly ResultPart[]): { listed: readonly ResultPart[]; omitted: number } {
  if (parts.length <= MAX_RESULT_PARTS) return { listed: parts, omitted: 0 };
  const ranked = parts.map((part, order) => ({ part, order, rank: interest(part) })).sort((a, b) => a.rank - b.rank || a.order - b.order);
  const kept = ranked.slice(0, MAX_RESULT_PARTS).sort((a, b) => a.order - b.order);
  return { listed: kept.map((k) => k.part), omitted: parts.length - kept.length };
}
