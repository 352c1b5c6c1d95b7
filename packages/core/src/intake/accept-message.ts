import type { AntivirusConfig } from '@avfleet/config';
import { sendsEnvelope } from '@avfleet/scanners';
import { JOB_SCHEMA_VERSION, WHOLE_READ_MAX_BYTES, type ScanJobContext, type ScanJobData, type ScanJobResult } from '../contracts/scan-job-data';
import type { RequestMeta } from '../contracts/request-meta';
import type { PartSummary, ScanResult } from '../contracts/scan-result';
import { newScanId } from '../contracts/scan-id';
import { boundName } from '../contracts/field-bounds';
import { MimeError } from '../mime/mime-error';
import { splitAs } from '../mime/split-message';
import type { BodyRange, BodyShape, MimeLimits, SplitMessage } from '../mime/mime-part';
import type { RuleVerdictCache } from '../cache/rule-verdict-cache';
import type { ObjectStore } from '../store/object-store';
import { partKey } from '../store/part-key';
import { MAX_RECORD_BYTES } from '../store/message-trailer';
import { encodeStoredRequest } from '../contracts/stored-request';
import type { EnqueueScan } from '../queue/enqueue-scan';
import type { Aggregator, FinishedWithoutFlow } from '../aggregate/aggregate-job';
import type { IpWhitelist } from '../aggregate/load-whitelists';
import type { FleetMetrics } from '../observe/fleet-metrics';
import type { Logger } from '../observe/logger';
import { archiveLimitFails } from './archive-limit-fails';
import { planScan, type PlannedBody } from './plan-scan';
import { unsplittableVerdicts } from './unsplittable-verdicts';
import type { SignatureVersions } from '../scan/signature-versions';
import type { CancelScan } from './cancel-scan';

/** The producer-side verdict-cache lookup (the fast path): answers without a flow when every body is cached. */
export interface CacheProbe {
  readonly cache: RuleVerdictCache;
  /** The versions the workers published (the cache keys' signature version). */
  readonly sigvers: Pick<SignatureVersions, 'get'>;
}

export interface IntakeDeps {
  readonly config: AntivirusConfig;
  readonly store: ObjectStore;
  /** Writes the scan's state and adds its part jobs (queue/enqueue-scan.ts). */
  readonly enqueue: EnqueueScan;
  /** This producer process's result channel (queue-names.ts `resultChannel`), carried by the scan so its result is published there. */
  readonly notify?: string;
  readonly ipWhitelists: ReadonlyMap<string, IpWhitelist>;
  readonly mimeLimits: MimeLimits;
  readonly rejectThreshold: number;
  readonly logger: Logger;
  /** Counts archive listings cut short by a limit (avfleet_archive_limit_hits_total) and the verdicts the probe found. */
  readonly metrics?: Pick<FleetMetrics, 'archiveLimitHits'> & Partial<Pick<FleetMetrics, 'scans' | 'scanDuration'>>;
  /** null: no producer-side lookup; every selected body goes to the workers. */
  readonly probe?: CacheProbe | null;
  /** Finishes messages answered without a flow (every verdict cached, or past the MIME limits); absent: they get a flow or an error. */
  readonly aggregator?: Pick<Aggregator, 'finishWithoutFlow'>;
  /**
   * Cancels a scan so that no result is ever stored for it and its waiting part jobs are removed
   * (intake/cancel-scan.ts): used when the submission was refused while its jobs were being added or its result saved.
   */
  readonly cancels: { readonly cancel: CancelScan };
  /** AVFLEET_RETROSCAN: the scan carries where its part bodies are stored (AggregateJobData `retro`), for the retro-scan's memory. */
  readonly rememberParts?: boolean;
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
 * job exists. `shape` `file`: the bytes are one file, not split (splitAsSingleFile).
 *
 * `signal` aborts when the submission was refused (its bound passed; README, "Failure
 * behaviour": answered 503 → never enqueued, or enqueued and cancelled). Checked before the
 * store writes and before the enqueue: aborted there, what was stored is removed and nothing is
 * enqueued. Aborted while the flow was being added or a result saved, the scan is cancelled
 * once that settles (`cancels`): it may still run, but no result ever appears for it.
 */
export async function acceptMessage(
  raw: Buffer, meta: RequestMeta, deps: IntakeDeps, now = Date.now(), shape: BodyShape = 'message', signal?: AbortSignal, again?: ScanAgain,
): Promise<AcceptedMessage> {
  const scanId = again?.scanId ?? newScanId(now);
  /** After a step that cannot be undone (an enqueue, a saved result): a refused submission cancels the scan. */
  const cancelIfRefused = async (parts: readonly ScanJobData[] = []): Promise<void> => {
    if (!signal?.aborted) return;
    await deps.cancels.cancel(scanId, parts).catch((err: unknown) => {
      deps.logger.error({ scanId, err: err instanceof Error ? err.message : String(err) }, 'a refused submission could not be cancelled; its result may appear');
    });
    throw signal.reason;
  };
  let message: SplitMessage;
  try {
    message = await splitAs(shape, raw, deps.mimeLimits);
  } catch (err) {
    // Past the MIME limits: a per-message failure (every rule fails with reason `limits`), not a server error.
    if (!(err instanceof MimeError) || !deps.aggregator) throw err;
    const { preResolved, skipped } = unsplittableVerdicts(deps.config.rules, meta, deps.ipWhitelists, err);
    deps.logger.warn({ scanId, queueId: meta.queueId, code: err.code, err: err.message }, 'message could not be split within the MIME limits; every rule fails with reason limits');
    const job: FinishedWithoutFlow = {
      v: JOB_SCHEMA_VERSION, scanId, configDigest: deps.config.digest, receivedAt: now, meta, parts: [], skipped, expected: [], preResolved,
    };
    signal?.throwIfAborted();
    const result = await deps.aggregator.finishWithoutFlow(job, raw);
    await cancelIfRefused();
    return { scanId, receivedAt: now, jobs: 0, messageId: null, result };
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
  // Retro-scan: where the clean parts' bytes will be (a range of the stored message, or their own object), for the aggregation to remember.
  const retro = deps.rememberParts ? { retro: { stored: storedBodies(plan.bodies, hits), messageId: boundName(messageId) } } : {};

  // Refused meanwhile (the cache probe waited on a slow Redis): nothing is stored or enqueued.
  signal?.throwIfAborted();
  if (toScan.length === 0 && deps.aggregator) {
    const result = await deps.aggregator.finishWithoutFlow({ ...parent, ...retro }, raw);
    await cancelIfRefused();
    return { scanId, receivedAt: now, jobs: 0, messageId, result };
  }

  // A flow is needed: the raw message goes to the store before any job exists, and with it every
  // body to scan that the worker cannot read as a range of it (D59).
  const toStore = new Map<string, Buffer>();
  for (const p of toScan) if (p.body.partIndex !== null && rangeRead(p) === null) toStore.set(p.body.sha256, p.original);
  // With the message, in the same write, the request a rescan needs (D69); a rescan's message is stored already.
  const storedMessage = again ? Promise.resolve(again.messageKey) : deps.store.putMessage(scanId, raw, new Date(now), storedRequestOf(scanId, meta, shape, deps));
  // selectBodies hashed exactly these bytes (`original` is the part's own content): the store need not hash them again.
  const storedParts = Promise.all([...toStore].map(([sha, data]) => deps.store.putPart(sha, data, { digestFromData: true })));
  const [stored, partsStored] = await Promise.allSettled([storedMessage, storedParts]);
  // Not enqueued: the caller gets an error (503) and will resubmit; do not keep an orphan copy.
  if (stored.status === 'rejected') throw stored.reason;
  const messageKey = stored.value;
  // Not enqueued: the caller gets an error (503) and will resubmit; do not keep an orphan copy (a rescan's message stays: it is the only one).
  const dropStored = async (): Promise<void> => {
    if (!again) await deps.store.delete(messageKey).catch(() => undefined);
  };
  if (partsStored.status === 'rejected') {
    await dropStored();
    throw partsStored.reason;
  }
  const deadlineMs = meta.deadlineSec !== null ? now + meta.deadlineSec * 1000 : null;
  const children = toScan.map((p) => scanJob(scanId, p, messageKey, deps.config.digest, deadlineMs, meta));
  try {
    // Refused while storing: not enqueued.
    signal?.throwIfAborted();
    await deps.enqueue({ ...parent, ...retro, messageKey, ...(deps.notify ? { notify: deps.notify } : {}) }, children);
  } catch (err) {
    await dropStored();
    throw err;
  }
  // Refused while the jobs were being added: they exist now, so the scan is cancelled and its waiting parts removed.
  await cancelIfRefused(children);
  deps.logger.debug({ scanId, queueId: meta.queueId, jobs: children.length, cached: preResolved.length, skipped }, 'message accepted');
  return { scanId, receivedAt: now, jobs: children.length, messageId, result: null };
}

/** A scan run again from the store (intake/rescan-stored.ts): its id and its stored message, which is not written again. */
export interface ScanAgain {
  readonly scanId: string;
  readonly messageKey: string;
}

/** The request record stored with the message (D69); none when it is over the store's bound (logged: that scan cannot be rebuilt). */
function storedRequestOf(scanId: string, meta: RequestMeta, shape: BodyShape, deps: IntakeDeps): Buffer | undefined {
  const record = encodeStoredRequest(meta, shape, deps.config.digest);
  if (record.length <= MAX_RECORD_BYTES) return record;
  deps.logger.warn({ scanId, queueId: meta.queueId, bytes: record.length }, 'request record over its bound: stored without it, this scan cannot be rebuilt if Redis loses its result');
  return undefined;
}

/** archive_limits_fail verdicts (D51) of the bodies rules really scan (not gated ones); omitted when there are none. */
function limitFailsOf(bodies: readonly PlannedBody[], message: SplitMessage): { limitFails?: ScanJobResult[] } {
  const fails = bodies.filter((p) => !p.gated).flatMap((p) => archiveLimitFails(p.rule, message, [p.body]));
  return fails.length > 0 ? { limitFails: fails } : {};
}

/** Intake as front ends see it: `accept(raw, meta, shape)` bound to these dependencies. */
export interface Intake {
  /**
   * `shape` (default `message`): split the bytes as a mail message, or take them as one file.
   * `signal`: aborted when the submission was refused (acceptMessage: nothing is left behind).
   */
  accept(raw: Buffer, meta: RequestMeta, shape?: BodyShape, signal?: AbortSignal): Promise<AcceptedMessage>;
}

export function createIntake(deps: IntakeDeps): Intake {
  return { accept: (raw, meta, shape, signal) => acceptMessage(raw, meta, deps, Date.now(), shape, signal) };
}

/**
 * Cached verdicts for the planned bodies (null = miss, or no lookup possible here), all of the
 * message's probes in one round trip (one MGET; the signature versions come from their own
 * in-process copy). Redis errors are misses.
 */
async function lookupCached(bodies: readonly PlannedBody[], deps: IntakeDeps): Promise<(ScanJobResult | null)[]> {
  const probe = deps.probe;
  if (!probe || bodies.length === 0) return bodies.map(() => null);
  const started = Date.now();
  const sigvers = await Promise.all(bodies.map((p) => (p.rule.noCache ? null : probe.sigvers.get(p.rule.name).catch(() => null))));
  const asked = bodies.flatMap((_p, i) => (sigvers[i] === null ? [] : [i]));
  const found = await probe.cache.lookupMany(asked.map((i) => {
    const p = bodies[i]!;
    // The bytes only for Rspamd-compatible keys: otherwise a cached part is never decoded.
    return { rule: p.rule, sha256: p.body.sha256, sigver: sigvers[i]!, content: probe.cache.rspamdCompat ? p.original : undefined };
  }));
  const hits = new Map(asked.map((i, j) => [i, found[j]!.verdict]));
  const ms = Date.now() - started;
  return bodies.map((p, i) => {
    const verdict = hits.get(i);
    if (!verdict) return null;
    deps.metrics?.scans?.inc({ rule: p.rule.name, verdict: verdict.kind });
    deps.metrics?.scanDuration?.observe({ rule: p.rule.name }, ms / 1000);
    return { rule: p.rule.name, partIndex: p.body.partIndex, verdict, cached: true, ms };
  });
}

/** The part as the parent job and the result carry it: names cut to MAX_NAME_BYTES (selection already saw them whole). */
function partSummary(message: SplitMessage, p: PlannedBody): PartSummary {
  const path = p.body.partIndex as string;
  return {
    index: message.parts.findIndex((m) => m.index === path) + 1,
    path,
    filename: boundName(p.body.filename),
    content_type: boundName(p.body.contentType),
    detected_type: boundName(p.body.detectedType),
    size: p.originalSize,
    sha256: p.body.sha256,
  };
}

/**
 * Retro-scan: SHA-256 → where each scanned or cached part body lies once the message is stored —
 * its range of the message, or null for a body stored as `parts/<sha256>` (scanned, with no range
 * the worker can read). A cached body with no readable range is left out: its bytes are stored nowhere.
 */
function storedBodies(bodies: readonly PlannedBody[], hits: readonly (ScanJobResult | null)[]): Record<string, BodyRange | null> {
  const stored: Record<string, BodyRange | null> = {};
  bodies.forEach((p, i) => {
    if (p.body.partIndex === null || (p.gated && !hits[i])) return;
    const range = rangeRead(p);
    if (range) stored[p.body.sha256] = range;
    else if (!hits[i] && !(p.body.sha256 in stored)) stored[p.body.sha256] = null;
  });
  return stored;
}

/** Where the worker reads a body in the stored message (D59), or null when the body is stored on its own (or is the whole message). */
function rangeRead(p: PlannedBody): BodyRange | null {
  return p.body.range !== null && p.originalSize <= WHOLE_READ_MAX_BYTES ? p.body.range : null;
}

/**
 * One child job: the whole message, a range of it, or a part stored on its own. The file name
 * and content type are cut to MAX_NAME_BYTES like the part summary's.
 */
function scanJob(scanId: string, p: PlannedBody, messageKey: string, configDigest: string, deadlineMs: number | null, meta: RequestMeta): ScanJobData {
  const b = p.body;
  const range = b.partIndex === null ? null : rangeRead(p);
  const key = b.partIndex === null || range !== null ? messageKey : partKey(b.sha256);
  return {
    v: JOB_SCHEMA_VERSION, scanId, rule: p.rule.name, partIndex: b.partIndex, key, ...(range ? { range } : {}), sha256: b.sha256, size: p.originalSize,
    filename: boundName(b.filename), contentType: boundName(b.contentType), substituteEicar: b.fakeEicar, configDigest, deadlineMs,
    ...(sendsEnvelope(p.rule.specific.type) ? { context: envelopeOf(meta) } : {}),
  };
}

/**
 * The envelope facts a part job carries, for the protocols that send them (D63): the first
 * recipient only, the one ICAP sends. The whole request metadata (up to 32 KiB of recipients)
 * is in the scan's state once, not in each of its part jobs.
 */
function envelopeOf(meta: RequestMeta): ScanJobContext {
  return { clientIp: meta.ip, from: meta.from, rcpt: meta.rcpt.slice(0, 1), helo: meta.helo, queueId: meta.queueId };
}
