import type { AggregateJobData } from '../contracts/aggregate-job-data';
import type { RetroCarrier } from '../contracts/retro-detection';
import type { ScanResult } from '../contracts/scan-result';
import type { FleetMetrics } from '../observe/fleet-metrics';
import type { Logger } from '../observe/logger';
import { envelopeAddress } from '../quarantine/quarantine-entry';
import { partKey } from '../store/part-key';
import type { PartOffer, RetroMemory } from './retro-memory';

/** A finished scan as the retro-scan reads it: its input (messageKey absent when it was answered without a flow and nothing was stored). */
export type RememberInput = Pick<AggregateJobData, 'receivedAt' | 'meta' | 'retro'> & { readonly messageKey?: string };

/** How often a full memory is logged at most (it is counted every time). */
const FULL_LOG_INTERVAL_MS = 60_000;

/**
 * The clean (rule, part) pairs of a finished scan, each with where its bytes are when the scan
 * stored them (its range of the stored message, or `parts/<sha256>`); a part answered from the
 * cache with no bytes stored is offered without a location (it only adds a carrier to a pair
 * already remembered). Whole-message verdicts (`scan_mime_parts = false`) are not remembered.
 */
export function offersOf(result: ScanResult, input: RememberInput): PartOffer[] {
  const stored = input.retro?.stored ?? {};
  const offers: PartOffer[] = [];
  for (const part of result.parts) {
    const where = input.messageKey !== undefined && part.sha256 in stored ? stored[part.sha256] : undefined;
    for (const [rule, verdict] of Object.entries(part.verdicts)) {
      if (verdict.kind !== 'clean') continue;
      const location = where === undefined
        ? null
        : {
          key: where === null ? partKey(part.sha256) : (input.messageKey as string), ...(where ? { range: where } : {}),
          size: part.size, filename: part.filename, contentType: part.content_type,
        };
      offers.push({ rule, digest: part.sha256, location });
    }
  }
  return offers;
}

/** The scan as a carrier of its parts: id, time, Queue-Id, envelope and Message-ID. */
export function carrierOf(result: ScanResult, input: RememberInput): RetroCarrier {
  return {
    scanId: result.id,
    time: new Date(input.receivedAt).toISOString(),
    queueId: input.meta.queueId,
    from: input.meta.from === null ? null : envelopeAddress(input.meta.from),
    recipients: input.meta.rcpt.map(envelopeAddress),
    messageId: input.retro?.messageId ?? null,
  };
}

/** What the aggregation calls once per finished scan (aggregate/aggregate-job.ts). */
export interface RetroRecorder {
  /** Remembers the scan's clean parts: one round trip; a failure is logged and counted, never thrown. */
  remember(result: ScanResult, input: RememberInput): Promise<void>;
}

export function createRetroRecorder(deps: {
  readonly memory: Pick<RetroMemory, 'remember'>;
  readonly metrics: Pick<FleetMetrics, 'retroRemembered' | 'retroRememberedParts' | 'retroRememberedBytes'>;
  readonly logger: Logger;
  readonly now?: () => number;
}): RetroRecorder {
  const now = deps.now ?? Date.now;
  let fullLoggedAt = -Infinity;
  return {
    async remember(result, input) {
      const offers = offersOf(result, input);
      if (offers.length === 0) return;
      try {
        const out = await deps.memory.remember(offers, carrierOf(result, input), now());
        if (out.added > 0) deps.metrics.retroRemembered.inc({ outcome: 'added' }, out.added);
        if (out.carried > 0) deps.metrics.retroRemembered.inc({ outcome: 'carrier' }, out.carried);
        if (out.stats) {
          deps.metrics.retroRememberedParts.set(out.stats.entries);
          deps.metrics.retroRememberedBytes.set(out.stats.bytes);
        }
        if (out.full > 0 && out.stats) {
          deps.metrics.retroRemembered.inc({ outcome: 'full' }, out.full);
          if (now() - fullLoggedAt >= FULL_LOG_INTERVAL_MS) {
            fullLoggedAt = now();
            deps.logger.warn(
              { code: 'AVF_WARN_RETROSCAN_FULL', scanId: result.id, refused: out.full, entries: out.stats.entries, bytes: out.stats.bytes },
              'retro-scan memory full (AVFLEET_RETROSCAN_MAX_ENTRIES / _MAX_BYTES): new clean parts are not remembered until older ones leave the window',
            );
          }
        }
      } catch (err) {
        deps.metrics.retroRemembered.inc({ outcome: 'failed' }, offers.length);
        deps.logger.warn(
          { code: 'AVF_WARN_RETROSCAN_REMEMBER_FAILED', scanId: result.id, err: err instanceof Error ? err.message : String(err) },
          'clean parts could not be remembered for the retro-scan; the verdict stands',
        );
      }
    },
  };
}
