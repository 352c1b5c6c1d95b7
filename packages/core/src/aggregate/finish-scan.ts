import type { ActionThresholds, AntivirusConfig, FleetSettings, Rule } from '@avfleet/config';
import { fail } from '@avfleet/scanners';
import { aggregateScan } from './aggregate-scan';
import type { RuleVerdictInput, SymbolScore, Whitelist } from './aggregate-types';
import type { AggregateJobData } from '../contracts/aggregate-job-data';
import type { ScanJobResult } from '../contracts/scan-job-data';
import type { ScanResult } from '../contracts/scan-result';
import { buildScanResult } from './build-scan-result';
import { postfilterRulesToSkip } from './postfilter-dynamic-scan';

/** What the aggregation reads besides the scan itself: the configuration's rules, scores, thresholds and whitelists. */
export interface AggregationContext {
  readonly rules: readonly Rule[];
  readonly symbolScores: Record<string, SymbolScore>;
  readonly thresholds: ActionThresholds;
  readonly whitelists: ReadonlyMap<string, Whitelist>;
}

export interface FinishScanInput extends AggregationContext {
  /** The parent job's data; the aggregation never reads the stored raw message, so its key may be absent. */
  readonly job: Omit<AggregateJobData, 'messageKey'>;
  /** Results returned by the children (and any pre-resolved cache hits). */
  readonly results: readonly ScanJobResult[];
  /** Why a child that returned nothing failed (BullMQ's ignored failures), if known. */
  readonly missingReason?: string;
  /** Reason given to expected results that never came (`deadline` when the caller's time ran out). */
  readonly missingAs?: 'error' | 'deadline';
  readonly now: number;
}

const k = (rule: string, part: string | null): string => `${rule}\u0000${part ?? ''}`;

/**
 * The per-part verdicts the result shows (one per rule and part): an
 * `archive_limits_fail` verdict takes the place of a clean or failed scan,
 * but a virus, encrypted, macro or category verdict stays visible.
 */
function withLimitFails(results: readonly ScanJobResult[], limitFails: readonly ScanJobResult[]): ScanJobResult[] {
  if (limitFails.length === 0) return [...results];
  const shown = new Map(results.map((r) => [k(r.rule, r.partIndex), r]));
  for (const f of limitFails) {
    const own = shown.get(k(f.rule, f.partIndex));
    if (!own || own.verdict.kind === 'clean' || own.verdict.kind === 'fail') shown.set(k(f.rule, f.partIndex), f);
  }
  return [...shown.values()];
}

/**
 * The aggregation step: every expected (rule, body) gets a verdict — a missing
 * one becomes a fail verdict, never a hang — then verdicts become symbols, score
 * and action, and the result JSON is assembled.
 */
export function finishScan(input: FinishScanInput): ScanResult {
  const { job } = input;
  const byKey = new Map<string, ScanJobResult>();
  for (const r of [...job.preResolved, ...input.results]) byKey.set(k(r.rule, r.partIndex), r);
  for (const e of job.expected) {
    if (byKey.has(k(e.rule, e.partIndex))) continue;
    const verdict = input.missingAs === 'deadline'
      ? fail('deadline reached before the scanner answered', 'deadline')
      : fail(`scan job failed: ${input.missingReason ?? 'no result'}`, 'error');
    byKey.set(k(e.rule, e.partIndex), { rule: e.rule, partIndex: e.partIndex, verdict, cached: false, ms: 0 });
  }
  const rulesByName = new Map(input.rules.map((r) => [r.name, r]));
  const filenames = new Map(job.parts.map((p) => [p.path, p.filename]));
  const limitFails = job.limitFails ?? [];
  const results = withLimitFails([...byKey.values()], limitFails);
  const verdicts: RuleVerdictInput[] = [];
  for (const r of [...byKey.values(), ...limitFails]) {
    const rule = rulesByName.get(r.rule);
    if (!rule) continue;
    verdicts.push({
      rule,
      partIndex: r.partIndex,
      filename: r.partIndex === null ? null : (filenames.get(r.partIndex) ?? null),
      verdict: r.verdict,
      cached: r.cached,
    });
  }
  const base = { thresholds: input.thresholds, symbolScores: input.symbolScores, whitelists: input.whitelists };
  const skipPostfilter = postfilterRulesToSkip(base, input.rules, verdicts, job.meta.score);
  const skipped = { ...job.skipped };
  for (const name of skipPostfilter) skipped[name] = 'dynamic_scan';
  const aggregate = aggregateScan({ ...base, rules: input.rules, verdicts: verdicts.filter((v) => !skipPostfilter.has(v.rule.name)) });
  return buildScanResult({
    scanId: job.scanId,
    aggregate,
    parts: job.parts,
    results: results.filter((r) => !skipPostfilter.has(r.rule)),
    skipped,
    queueId: job.meta.queueId,
    elapsedMs: Math.max(0, input.now - job.receivedAt),
  });
}

/** The aggregation context of a configuration: its rules and scores, AVFLEET_ACTIONS as the thresholds, the rules' whitelists. */
export function aggregationContextOf(
  config: Pick<AntivirusConfig, 'rules' | 'symbolScores'>, actions: FleetSettings['actions'], whitelists: ReadonlyMap<string, Whitelist>,
): AggregationContext {
  return { rules: config.rules, symbolScores: config.symbolScores, thresholds: actions, whitelists };
}
