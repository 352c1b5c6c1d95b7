import type { FlowProducer } from 'bullmq';
import type { AntivirusConfig } from '@avfleet/config';
import {
  JOB_SCHEMA_VERSION, MimeError, archiveLimitFails, countFinishedScan, decodeOptionsFor, buildScanFlow, cacheKey, finishScan, newScanId, partKey, splitMessage,
  type AggregateJobData, type FinishScanInput, type FleetMetrics, type IpWhitelist, type Logger, type MimeLimits, type ObjectStore,
  type PartSummary, type RequestMeta, type ResultStore, type ScanJobData, type ScanJobResult, type ScanResult, type SplitMessage, type VerdictCache,
} from '@avfleet/core';
import { planScan, type PlannedBody } from './plan-scan';
import { unsplittableVerdicts } from './unsplittable-verdicts';
import type { SignatureVersions } from './signature-versions';

/** The producer-side verdict-cache lookup (the fast path): answers without a flow when every body is cached. */
export interface CacheProbe {
  readonly cache: VerdictCache;
  readonly sigvers: SignatureVersions;
  readonly rspamdCompat: boolean;
}

export interface IntakeDeps {
  readonly config: AntivirusConfig;
  readonly store: ObjectStore;
  readonly flow: FlowProducer;
  readonly ipWhitelists: ReadonlyMap<string, IpWhitelist>;
  readonly mimeLimits: MimeLimits;
  readonly rejectThreshold: number;
  readonly resultTtlSec: number;
  readonly logger: Logger;
  /** Counts archive listings cut short by a limit (avfleet_archive_limit_hits_total), cache lookups and fast-path results. */
  readonly metrics?: Pick<FleetMetrics, 'archiveLimitHits'> & Partial<Pick<FleetMetrics, 'cacheLookups' | 'scans' | 'scanDuration' | 'messagesScanned' | 'messageLatency'>>;
  /** null: no producer-side lookup; every selected body goes to the workers. */
  readonly probe?: CacheProbe | null;
  /** What the aggregation needs, for messages answered without a flow. */
  readonly finish?: Omit<FinishScanInput, 'job' | 'results' | 'now' | 'missingReason' | 'missingAs'>;
  readonly results?: Pick<ResultStore, 'save'>;
}

export interface AcceptedMessage {
  readonly scanId: string;
  readonly receivedAt: number;
  /** Scan jobs enqueued (0 when the answer came from the cache). */
  readonly jobs: number;
  readonly messageId: string | null;
  /** The finished result when every verdict was cached (no flow was created). */
  readonly result: ScanResult | null;
}

/**
 * split → select → cache → store → enqueue. A message whose verdicts are all
 * cached is aggregated here and answered without a flow (and without storing
 * it: D56). Otherwise the raw message and the bodies that must really be
 * scanned (once each, under their SHA-256) are in the object store before any
 * job exists.
 */
export async function acceptMessage(raw: Buffer, meta: RequestMeta, deps: IntakeDeps, now = Date.now()): Promise<AcceptedMessage> {
  const scanId = newScanId(now);
  let message: SplitMessage;
  try {
    message = await splitMessage(raw, deps.mimeLimits);
  } catch (err) {
    // Past the MIME limits: a per-message failure (every rule fails with reason `limits`), not a server error.
    if (!(err instanceof MimeError) || !deps.finish || !deps.results) throw err;
    const { preResolved, skipped } = unsplittableVerdicts(deps.config.rules, meta, deps.ipWhitelists, err);
    deps.logger.warn({ scanId, queueId: meta.queueId, code: err.code, err: err.message }, 'message could not be split within the MIME limits; every rule fails with reason limits');
    const job: FinishedWithoutFlow = {
      v: JOB_SCHEMA_VERSION, scanId, configDigest: deps.config.digest, receivedAt: now, meta, parts: [], skipped, expected: [], preResolved,
    };
    return { scanId, receivedAt: now, jobs: 0, messageId: null, result: await answerWithoutFlow(job, deps, deps.finish, deps.results) };
  }
  // Archive listings cut short by a limit (D51): a metric by limit and a log line per part.
  for (const part of message.parts) {
    if (!part.archiveTruncated) continue;
    const limit = part.archiveLimit ?? 'corrupt';
    deps.metrics?.archiveLimitHits.inc({ limit });
    deps.logger.info({ scanId, queueId: meta.queueId, part: part.index, filename: part.filename, limit }, 'archive listing cut short');
  }

  const plan = planScan(deps.config.rules, message, raw, meta, deps.ipWhitelists, deps.rejectThreshold);
  const hits = await lookupCached(plan.bodies, deps);
  const skipped: Record<string, string> = { ...plan.skipped };
  const preResolved: ScanJobResult[] = [];
  const toScan: PlannedBody[] = [];
  const usedParts = new Map<string, PartSummary>();
  plan.bodies.forEach((p, i) => {
    const hit = hits[i];
    if (hit) {
      preResolved.push(hit);
      delete skipped[p.rule.name];
    } else if (!p.gated) {
      toScan.push(p);
    } else {
      return;
    }
    const path = p.body.partIndex;
    if (path !== null && !usedParts.has(path)) usedParts.set(path, partSummary(message, p));
  });

  const parent: FinishedWithoutFlow = {
    v: JOB_SCHEMA_VERSION,
    scanId,
    configDigest: deps.config.digest,
    receivedAt: now,
    meta,
    parts: [...usedParts.values()].sort((a, b) => a.index - b.index),
    skipped,
    expected: toScan.map((p) => ({ rule: p.rule.name, partIndex: p.body.partIndex })),
    preResolved,
    ...limitFailsOf(plan.bodies, message), // archive_limits_fail (D51)
  };
  const messageId = message.headers.messageId;

  if (toScan.length === 0 && deps.finish && deps.results) {
    return { scanId, receivedAt: now, jobs: 0, messageId, result: await answerWithoutFlow(parent, deps, deps.finish, deps.results) };
  }

  // A flow is needed: the raw message and every body to scan go to the store before any job exists.
  const toStore = new Map<string, Buffer>();
  for (const p of toScan) if (p.body.partIndex !== null) toStore.set(p.body.sha256, p.original);
  const storedMessage = deps.store.putMessage(scanId, raw, new Date(now));
  // selectBodies hashed exactly these bytes (`original` is the part's own content): the store need not hash them again.
  const storedParts = Promise.all([...toStore].map(([sha, data]) => deps.store.putPart(sha, data, { digestFromData: true })));
  const [stored, partsStored] = await Promise.allSettled([storedMessage, storedParts]);
  // Not enqueued: the caller gets an error (503) and will resubmit; do not keep an orphan copy.
  if (stored.status === 'rejected') throw stored.reason;
  const messageKey = stored.value;
  if (partsStored.status === 'rejected') {
    await deps.store.delete(messageKey).catch(() => undefined);
    throw partsStored.reason;
  }
  const deadlineMs = meta.deadlineSec !== null ? now + meta.deadlineSec * 1000 : null;
  const children = toScan.map((p) => scanJob(scanId, p, p.body.partIndex === null ? messageKey : partKey(p.body.sha256), deps.config.digest, deadlineMs, meta));
  try {
    await deps.flow.add(buildScanFlow({ ...parent, messageKey }, children, deps.resultTtlSec));
  } catch (err) {
    // Not enqueued: the caller gets an error (503) and will resubmit; do not keep an orphan copy.
    await deps.store.delete(messageKey).catch(() => undefined);
    throw err;
  }
  deps.logger.debug({ scanId, queueId: meta.queueId, jobs: children.length, cached: preResolved.length, skipped }, 'message accepted');
  return { scanId, receivedAt: now, jobs: children.length, messageId, result: null };
}

/** archive_limits_fail verdicts (D51) of the bodies rules really scan (not gated ones); omitted when there are none. */
function limitFailsOf(bodies: readonly PlannedBody[], message: SplitMessage): { limitFails?: ScanJobResult[] } {
  const fails = bodies.filter((p) => !p.gated).flatMap((p) => archiveLimitFails(p.rule, message, [p.body]));
  return fails.length > 0 ? { limitFails: fails } : {};
}

/**
 * The aggregation input of a message answered here, without a flow (every verdict cached, or
 * the message past the MIME limits): nothing will read the raw message, so it is not stored
 * (docs/decisions.md D56). With the stored message's key added it becomes the flow's parent job.
 */
type FinishedWithoutFlow = Omit<AggregateJobData, 'messageKey'>;

/** Aggregates here what needs no scanning (all verdicts cached, or the message past the MIME limits) and stores the result. */
async function answerWithoutFlow(
  job: FinishedWithoutFlow, deps: IntakeDeps, finish: NonNullable<IntakeDeps['finish']>, results: NonNullable<IntakeDeps['results']>,
): Promise<ScanResult> {
  const result = finishScan({ ...finish, job, results: [], now: Date.now() });
  await results.save(result);
  if (deps.metrics?.scans && deps.metrics.messagesScanned && deps.metrics.messageLatency) {
    countFinishedScan({ scans: deps.metrics.scans, messagesScanned: deps.metrics.messagesScanned, messageLatency: deps.metrics.messageLatency }, job.skipped, result);
  }
  deps.logger.info(
    { scanId: job.scanId, queueId: job.meta.queueId, action: result.action, score: result.score, symbols: Object.keys(result.symbols), ms: result.elapsed_ms, jobs: 0 },
    'message scanned',
  );
  return result;
}

/** The HTTP layer's view of intake: `accept(raw, meta)` bound to these dependencies. */
export function createIntake(deps: IntakeDeps): { accept(raw: Buffer, meta: RequestMeta): Promise<AcceptedMessage> } {
  return { accept: (raw, meta) => acceptMessage(raw, meta, deps) };
}

/** Cached verdicts for the planned bodies (null = miss, or no lookup possible here). Redis errors are misses. */
async function lookupCached(bodies: readonly PlannedBody[], deps: IntakeDeps): Promise<(ScanJobResult | null)[]> {
  const probe = deps.probe;
  if (!probe || bodies.length === 0) return bodies.map(() => null);
  return Promise.all(
    bodies.map(async (p) => {
      if (p.rule.noCache) return null;
      const sigver = await probe.sigvers.get(p.rule.name).catch(() => null);
      if (sigver === null) return null;
      const started = Date.now();
      // The bytes only for Rspamd-compatible keys: otherwise a cached part is never decoded.
      const key = cacheKey(p.rule, p.body.sha256, sigver, probe.rspamdCompat ? { rspamdCompat: true, content: p.original } : { rspamdCompat: false });
      const verdict = await probe.cache.get(key, decodeOptionsFor(p.rule));
      deps.metrics?.cacheLookups?.inc({ rule: p.rule.name, result: verdict ? 'hit' : 'miss' });
      if (verdict) {
        deps.metrics?.scans?.inc({ rule: p.rule.name, verdict: verdict.kind });
        deps.metrics?.scanDuration?.observe({ rule: p.rule.name }, (Date.now() - started) / 1000);
      }
      return verdict ? { rule: p.rule.name, partIndex: p.body.partIndex, verdict, cached: true, ms: Date.now() - started } : null;
    }),
  );
}

function partSummary(message: SplitMessage, p: PlannedBody): PartSummary {
  const path = p.body.partIndex as string;
  return {
    index: message.parts.findIndex((m) => m.index === path) + 1,
    path,
    filename: p.body.filename,
    content_type: p.body.contentType,
    detected_type: p.body.detectedType,
    size: p.originalSize,
    sha256: p.body.sha256,
  };
}

function scanJob(scanId: string, p: PlannedBody, key: string, configDigest: string, deadlineMs: number | null, meta: RequestMeta): ScanJobData {
  const b = p.body;
  return {
    v: JOB_SCHEMA_VERSION, scanId, rule: p.rule.name, partIndex: b.partIndex, key, sha256: b.sha256, size: p.originalSize,
    filename: b.filename, contentType: b.contentType, substituteEicar: b.fakeEicar, configDigest, deadlineMs,
    context: { clientIp: meta.ip, from: meta.from, rcpt: meta.rcpt, helo: meta.helo, queueId: meta.queueId },
  };
}
