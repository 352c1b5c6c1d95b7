import type { ScanResult } from '../contracts/scan-result';
import type { FleetMetrics } from '../observe/fleet-metrics';

/**
 * The per-message metrics of a finished scan, counted once by whichever process
 * stored the result: the aggregation worker, or the producer when it answered
 * without a flow. Rules that did not run count as `skipped` scans.
 */
export function countFinishedScan(
  metrics: Pick<FleetMetrics, 'scans' | 'messagesScanned' | 'messageLatency'>, skipped: Readonly<Record<string, string>>, result: ScanResult,
): void {
  for (const rule of Object.keys(skipped)) metrics.scans.inc({ rule, verdict: 'skipped' });
  metrics.messagesScanned.inc({ action: result.action });
  metrics.messageLatency.observe(result.elapsed_ms / 1000);
}
