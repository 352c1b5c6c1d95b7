import type { Job } from 'bullmq';
import {
  countFinishedScan, finishScan, type AggregateJobData, type FinishScanInput, type FleetMetrics, type Logger, type ResultStore, type ScanJobResult, type ScanResult,
} from '@avfleet/core';

export interface AggregateProcessorDeps {
  readonly finish: Omit<FinishScanInput, 'job' | 'results' | 'now' | 'missingReason' | 'missingAs'>;
  readonly results: ResultStore;
  readonly metrics: FleetMetrics;
  readonly logger: Logger;
}

/** The parent job: children's verdicts → symbols and action → stored result. Idempotent: a re-run keeps the first stored answer. */
export function createAggregateProcessor(deps: AggregateProcessorDeps): (job: Job<AggregateJobData>) => Promise<{ action: string; score: number }> {
  return async (job) => {
    // Both reads in one round trip. A re-run is not looked up first: saveOnce refuses to replace the stored answer, which is then returned.
    const [values, failures] = await Promise.all([
      job.getChildrenValues<ScanJobResult>(),
      job.getIgnoredChildrenFailures().catch(() => ({} as Record<string, string>)),
    ]);
    const reasons = Object.values(failures);
    const result: ScanResult = finishScan({
      ...deps.finish,
      job: job.data,
      results: Object.values(values),
      ...(reasons.length > 0 ? { missingReason: reasons.join('; ') } : {}),
      now: Date.now(),
    });
    const stored = await deps.results.saveOnce(result);
    const final = stored ? result : ((await deps.results.load(job.data.scanId)) ?? result);
    if (stored) {
      countFinishedScan(deps.metrics, job.data.skipped, final);
      deps.logger.info(
        { scanId: final.id, queueId: final.queue_id, action: final.action, score: final.score, symbols: Object.keys(final.symbols), ms: final.elapsed_ms },
        'message scanned',
      );
    }
    return { action: final.action, score: final.score };
  };
}
