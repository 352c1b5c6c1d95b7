import type { AggregateJobData } from '../contracts/aggregate-job-data';
import type { ScanJobResult } from '../contracts/scan-job-data';
import type { ScanResult } from '../contracts/scan-result';
import type { FleetMetrics } from '../observe/fleet-metrics';
import type { Logger } from '../observe/logger';
import { countFinishedScan } from './count-finished-scan';
import { finishScan, type AggregationContext } from './finish-scan';
import type { ResultStore } from './result-store';
import type { Quarantine } from '../quarantine/quarantine';
import type { RecordedScan, ScanStateStore } from '../queue/scan-state';
import type { RetroRecorder } from '../retroscan/remember-scan';

/** A scan as the aggregation reads it: its input and its part verdicts (`parentJobOf` a scan's state). */
export interface ParentJob {
  readonly data: AggregateJobData;
  /** The verdicts the part jobs recorded, by part. */
  getChildrenValues<T>(): Promise<Record<string, T>>;
  /** Why parts that recorded nothing failed, by part (a failed part job records a fail verdict instead: empty). */
  getIgnoredChildrenFailures(): Promise<Record<string, string>>;
  /** The key of the scan's state, removed by the script that saves its result (one Redis: D62); absent: the caller removes it. */
  readonly stateKey?: string;
}

/** A scan's state (queue/scan-state.ts) as the aggregation reads it; `stateKey` as in ParentJob. */
export function parentJobOf(scan: RecordedScan, stateKey?: string): ParentJob {
  const values = Object.fromEntries(scan.results.map((r) => [`${r.rule}.${r.partIndex ?? 'msg'}`, r]));
  return {
    data: scan.data, getChildrenValues: async <T>() => values as Record<string, T>, getIgnoredChildrenFailures: async () => ({}),
    ...(stateKey === undefined ? {} : { stateKey }),
  };
}

export interface AggregatorDeps {
  readonly context: AggregationContext;
  readonly results: Pick<ResultStore, 'save' | 'saveOnce' | 'load'>;
  readonly metrics: Pick<FleetMetrics, 'scans' | 'messagesScanned' | 'messageLatency' | 'scanRedisBytes'>;
  readonly logger: Logger;
  /** Keeps a finished scan that qualifies (packages/core/src/quarantine); absent: nothing is kept. Never fails the scan. */
  readonly quarantine?: Pick<Quarantine, 'keep'>;
  /** Remembers a finished scan's clean parts for the retro-scan (packages/core/src/retroscan); absent: off. Never fails the scan. */
  readonly retro?: Pick<RetroRecorder, 'remember'>;
}

/** The aggregation input of a message answered without a flow (nothing will read the raw message, so it has no key). */
export type FinishedWithoutFlow = Omit<AggregateJobData, 'messageKey'>;

/**
 * Everything from part verdicts to the stored result, for both places a scan can finish:
 * the parent job of a flow (`aggregate`, in a worker) and a message answered at intake
 * without a flow (`finishWithoutFlow`: every verdict cached, or past the MIME limits).
 * Each finished scan is counted and logged once, here.
 */
export interface Aggregator {
  /** The parent job: children's verdicts → symbols and action → stored result. Idempotent: a re-run keeps the first stored answer. */
  aggregate(job: ParentJob): Promise<ScanResult>;
  /** Aggregates what needs no scanning and stores the result; `raw` (the message's bytes, stored nowhere else: D56) is what the quarantine keeps. */
  finishWithoutFlow(job: FinishedWithoutFlow, raw?: Buffer): Promise<ScanResult>;
  /** The result so far of an unfinished parent job: rules that did not answer count as `deadline` fails. Not stored. */
  partial(job: ParentJob): Promise<ScanResult>;
}

/**
 * The aggregation of a scan whose last part was recorded (in the worker that recorded it, or
 * the `aggregate` job): its state — as the last part's record read it, or read here in one
 * command — aggregated and stored, then removed: by the result's own save script when
 * `removeWithResult` (one Redis, where both keys can be in one script: D62), else by one more
 * command. A re-run after the state is gone (the job was retried after its worker died)
 * answers with the stored result, or null for a cancelled scan.
 */
export function createAggregationJob(
  aggregator: Pick<Aggregator, 'aggregate'>, state: Pick<ScanStateStore, 'read' | 'drop' | 'keyOf'>, results: Pick<ResultStore, 'load'>,
  opts: { readonly removeWithResult?: boolean } = {},
): (scanId: string, recorded?: RecordedScan) => Promise<ScanResult | null> {
  return async (scanId, recorded) => {
    const scan = recorded ?? (await state.read(scanId));
    if (!scan) return results.load(scanId);
    if (opts.removeWithResult) return aggregator.aggregate(parentJobOf(scan, state.keyOf(scanId)));
    const result = await aggregator.aggregate(parentJobOf(scan));
    await state.drop(scanId);
    return result;
  };
}

/** Serialized UTF-8 bytes of what a finished scan kept in Redis (avfleet_scan_redis_bytes): the result, plus the job data and children's results when there was a flow. */
export function scanRedisBytes(result: ScanResult, flow?: { readonly data: AggregateJobData; readonly values: Readonly<Record<string, ScanJobResult>> }): number {
  const size = (v: unknown): number => Buffer.byteLength(JSON.stringify(v));
  return size(result) + (flow ? size(flow.data) + size(flow.values) : 0);
}

export function createAggregator(deps: AggregatorDeps): Aggregator {
  const record = (skipped: Readonly<Record<string, string>>, result: ScanResult, jobs: number, redisBytes: number): void => {
    countFinishedScan(deps.metrics, skipped, result);
    deps.metrics.scanRedisBytes.observe(redisBytes);
    deps.logger.info(
      { scanId: result.id, queueId: result.queue_id, action: result.action, score: result.score, symbols: Object.keys(result.symbols), ms: result.elapsed_ms, jobs },
      'message scanned',
    );
  };
  return {
    async aggregate(job) {
      // Both reads in one round trip. A re-run is not looked up first: saveOnce refuses to replace the stored answer, which is then returned.
      const [values, failures] = await Promise.all([
        job.getChildrenValues<ScanJobResult>(),
        job.getIgnoredChildrenFailures().catch(() => ({}) as Record<string, string>),
      ]);
      const reasons = Object.values(failures);
      const results = Object.values(values);
      const result = finishScan({ ...deps.context, job: job.data, results, ...(reasons.length > 0 ? { missingReason: reasons.join('; ') } : {}), now: Date.now() });
      const stored = await deps.results.saveOnce(result, job.data.notify, job.stateKey);
      if (!stored) return (await deps.results.load(job.data.scanId)) ?? result;
      record(job.data.skipped, result, job.data.expected.length, scanRedisBytes(result, { data: job.data, values }));
      await deps.quarantine?.keep(result, job.data, job.data.messageKey);
      await deps.retro?.remember(result, job.data);
      return result;
    },
    async finishWithoutFlow(job, raw) {
      const result = finishScan({ ...deps.context, job, results: [], now: Date.now() });
      await deps.results.save(result);
      record(job.skipped, result, 0, scanRedisBytes(result));
      if (raw) await deps.quarantine?.keep(result, job, raw);
      await deps.retro?.remember(result, job);
      return result;
    },
    async partial(job) {
      const values = await job.getChildrenValues<ScanJobResult>();
      return finishScan({ ...deps.context, job: job.data, results: Object.values(values), missingAs: 'deadline', now: Date.now() });
    },
  };
}
