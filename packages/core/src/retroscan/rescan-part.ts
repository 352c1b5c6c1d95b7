import { Readable } from 'node:stream';
import type { Rule } from '@avfleet/config';
import type { Scanner, Verdict } from '@avfleet/scanners';
import type { RuleVerdictCache } from '../cache/rule-verdict-cache';
import { newScanId } from '../contracts/scan-id';
import type { RetroDetection } from '../contracts/retro-detection';
import type { FleetMetrics } from '../observe/fleet-metrics';
import type { Logger } from '../observe/logger';
import { readJobBody } from '../scan/read-job-body';
import { signatureVersionWithin } from '../scan/scan-part';
import type { SignatureVersions } from '../scan/signature-versions';
import type { ObjectStore } from '../store/object-store';
import type { RememberedPart, RetroMemory } from './retro-memory';
import type { RetroPartJob } from './start-retro-scan';

/** Hands a retro detection on (the webhook outbox, packages/core/src/notify); the default logs it. Its failure is logged, never retried here. */
export type AnnounceDetection = (d: RetroDetection) => Promise<void>;

/** What a retro part job ended with. */
export type RescanOutcome = 'clean' | 'detected' | 'already' | 'other';

export interface RescanDeps {
  readonly rules: ReadonlyMap<string, Rule>;
  readonly scanners: ReadonlyMap<string, Scanner>;
  readonly cache: RuleVerdictCache;
  readonly store: ObjectStore;
  readonly memory: Pick<RetroMemory, 'detect'>;
  /** The versions producers build their cache keys with: a detection replaces the entry under that one too. */
  readonly published: Pick<SignatureVersions, 'get'>;
  readonly announce: AnnounceDetection;
  readonly metrics: Pick<FleetMetrics, 'retroPartsScanned' | 'retroDetections'>;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** The detection event of a part found infected, from the pair as the memory holds it. */
export function detectionOf(part: RememberedPart, verdict: Extract<Verdict, { kind: 'virus' }>, signatureVersion: string | null, at: number): RetroDetection {
  return {
    type: 'retro_detection', id: newScanId(at), rule: part.rule, viruses: [...verdict.names], digest: part.digest, signatureVersion,
    detectedAt: new Date(at).toISOString(), carriers: part.carriers, carriersTruncated: part.carriersOmitted > 0,
  };
}

/**
 * One retro part job: the part's bytes read back from the store (a range is checked against its
 * digest), sent to the rule's scanner without looking at the verdict cache. Found infected: the
 * verdict cache entry is replaced at once — under the scanner's version and the version producers
 * read — so the next message with the part is rejected; then the detection is recorded (once,
 * however many workers find it), logged at warn, counted and announced. A part whose bytes are
 * gone is counted and left; a scan that fails throws, so the job is tried again (a fail is never a detection).
 */
export function createRescanPart(deps: RescanDeps): (job: RetroPartJob) => Promise<RescanOutcome> {
  const now = deps.now ?? Date.now;
  return async (job) => {
    const rule = deps.rules.get(job.rule);
    const scanner = deps.scanners.get(job.rule);
    if (!rule || !scanner) throw new Error(`rule '${job.rule}' is not served by this worker`);
    const sigver = await signatureVersionWithin(scanner, rule.timeout * 1000);
    let bytes: Buffer;
    try {
      bytes = await readJobBody(deps.store, { key: job.location.key, range: job.location.range, sha256: job.digest, partIndex: 'retro' });
    } catch (err) {
      deps.metrics.retroPartsScanned.inc({ rule: rule.name, verdict: 'unreadable' });
      deps.logger.info({ rule: rule.name, digest: job.digest, key: job.location.key, err: err instanceof Error ? err.message : String(err) }, 'retro-scan: part bytes not readable; skipped');
      return 'other';
    }
    const body = {
      size: bytes.length, buffer: bytes, sha256: job.digest, open: () => Readable.from([bytes]),
      ...(job.location.filename ? { filename: job.location.filename } : {}), ...(job.location.contentType ? { contentType: job.location.contentType } : {}),
    };
    const verdict = await scanner.scan(body, { deadlineMs: now() + rule.maxScanTime * 1000 });
    deps.metrics.retroPartsScanned.inc({ rule: rule.name, verdict: verdict.kind });
    // A scanner that failed found nothing either way: the job is tried again (its attempts and back-off, start-retro-scan.ts).
    if (verdict.kind === 'fail') throw new Error(`retro-scan of ${job.digest} under rule '${rule.name}' failed: ${verdict.text}`);
    if (verdict.kind !== 'virus') return verdict.kind === 'clean' ? 'clean' : 'other';
    // At once, before anything else: new mail with this part is rejected from here on.
    const published = await deps.published.get(rule.name).catch(() => null);
    const keys = new Set([sigver, published].map((v) => deps.cache.keyFor(rule, job.digest, v, bytes)));
    for (const key of keys) await deps.cache.remember(rule, key, verdict, job.location.filename);
    const detection = await deps.memory.detect(rule.name, job.digest, (part) => detectionOf(part, verdict, sigver, now()));
    if (!detection) return 'already';
    deps.metrics.retroDetections.inc({ rule: rule.name });
    deps.logger.warn(
      {
        code: 'AVF_WARN_RETRO_DETECTION', detection: detection.id, rule: rule.name, viruses: detection.viruses, digest: detection.digest,
        signatureVersion: sigver, scans: detection.carriers.map((c) => ({ scanId: c.scanId, queueId: c.queueId })), carriersTruncated: detection.carriersTruncated,
      },
      'retro detection: a part scanned clean earlier is infected; the verdict cache now rejects it (GET /retro-detections)',
    );
    await deps.announce(detection).catch((err: unknown) => {
      deps.logger.error({ code: 'AVF_WARN_RETRO_ANNOUNCE_FAILED', detection: detection.id, err: err instanceof Error ? err.message : String(err) }, 'retro detection could not be announced; it is listed at GET /retro-detections');
    });
    return 'detected';
  };
}
