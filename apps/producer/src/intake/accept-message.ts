import type { FlowProducer } from 'bullmq';
import type { AntivirusConfig, Rule } from '@avfleet/config';
import {
  buildScanFlow, newScanId, partKey, selectBodies, splitMessage,
  type AggregateJobData, type FleetMetrics, type IpWhitelist, type SelectedBody, type SplitMessage, type Logger, type MimeLimits, type ObjectStore, type PartSummary, type RequestMeta, type ScanJobData,
} from '@avfleet/core';

export interface IntakeDeps {
  readonly config: AntivirusConfig;
  readonly store: ObjectStore;
  readonly flow: FlowProducer;
  readonly ipWhitelists: ReadonlyMap<string, IpWhitelist>;
  readonly mimeLimits: MimeLimits;
  readonly rejectThreshold: number;
  readonly resultTtlSec: number;
  readonly logger: Logger;
  /** Counts archive listings cut short by a limit (avfleet_archive_limit_hits_total). */
  readonly metrics?: Pick<FleetMetrics, 'archiveLimitHits'>;
}

export interface AcceptedMessage {
  readonly scanId: string;
  readonly receivedAt: number;
  readonly jobs: number;
  readonly messageId: string | null;
}

/**
 * store → split → select → enqueue. The raw message is in the object store
 * before any job exists; part bodies are stored once under their SHA-256.
 */
export async function acceptMessage(raw: Buffer, meta: RequestMeta, deps: IntakeDeps, now = Date.now()): Promise<AcceptedMessage> {
  const scanId = newScanId(now);
  const messageKey = await deps.store.putMessage(scanId, raw, new Date(now));
  const message = await splitMessage(raw, deps.mimeLimits);
  for (const part of message.parts) if (part.archiveTruncated) deps.metrics?.archiveLimitHits.inc();

  const skipped: Record<string, string> = {};
  const children: ScanJobData[] = [];
  const usedParts = new Map<string, PartSummary>();
  const toStore = new Map<string, Buffer>();
  const digest = deps.config.digest;
  const deadlineMs = meta.deadlineSec !== null ? now + meta.deadlineSec * 1000 : null;

  for (const rule of deps.config.rules) {
    if (meta.ip && deps.ipWhitelists.get(rule.name)?.containsIp(meta.ip)) {
      skipped[rule.name] = 'whitelist_ip';
      continue;
    }
    const sel = selectBodies(rule, message, { score: meta.score ?? undefined, rejectThreshold: deps.rejectThreshold }, raw);
    if (sel.skipped) {
      skipped[rule.name] = sel.skipped;
      continue;
    }
    if (sel.bodies.length === 0) {
      skipped[rule.name] = 'no_parts';
      continue;
    }
    for (const b of sel.bodies) {
      const original = originalBytes(b, message);
      let key: string;
      if (b.partIndex === null) {
        key = messageKey;
      } else {
        key = partKey(b.sha256);
        if (!toStore.has(b.sha256)) toStore.set(b.sha256, original);
        if (!usedParts.has(b.partIndex)) {
          usedParts.set(b.partIndex, {
            index: leafOrdinal(message, b.partIndex), path: b.partIndex, filename: b.filename, content_type: b.contentType, detected_type: b.detectedType, size: original.length, sha256: b.sha256,
          });
        }
      }
      children.push(scanJob(scanId, rule, key, b, original, digest, deadlineMs));
    }
  }

  await Promise.all([...toStore].map(([sha, data]) => deps.store.putPart(sha, data)));

  const parent: AggregateJobData = {
    v: 1,
    scanId,
    configDigest: digest,
    receivedAt: now,
    messageKey,
    meta,
    parts: [...usedParts.values()].sort((a, b) => a.index - b.index),
    skipped,
    expected: children.map((c) => ({ rule: c.rule, partIndex: c.partIndex })),
    preResolved: [],
  };
  await deps.flow.add(buildScanFlow(parent, children, deps.resultTtlSec));
  deps.logger.debug({ scanId, queueId: meta.queueId, jobs: children.length, skipped }, 'message accepted');
  return { scanId, receivedAt: now, jobs: children.length, messageId: message.headers.messageId };
}

/** The HTTP layer's view of intake: `accept(raw, meta)` bound to these dependencies. */
export function createIntake(deps: IntakeDeps): { accept(raw: Buffer, meta: RequestMeta): Promise<AcceptedMessage> } {
  return { accept: (raw, meta) => acceptMessage(raw, meta, deps) };
}

function scanJob(
  scanId: string, rule: Rule, key: string, b: SelectedBody, original: Buffer, configDigest: string, deadlineMs: number | null,
): ScanJobData {
  return {
    v: 1, scanId, rule: rule.name, partIndex: b.partIndex, key, sha256: b.sha256, size: original.length,
    filename: b.filename, contentType: b.contentType, substituteEicar: b.fakeEicar, configDigest, deadlineMs,
  };
}

/** The bytes the cache key and the store use: the part's own content, also when the scanner gets EICAR instead. */
function originalBytes(b: SelectedBody, message: SplitMessage): Buffer {
  if (!b.fakeEicar) return b.content;
  const part = message.parts.find((p) => p.index === b.partIndex);
  if (!part) throw new Error(`selected part ${b.partIndex} is missing from the split message`);
  return part.content;
}

function leafOrdinal(message: SplitMessage, path: string): number {
  return message.parts.findIndex((p) => p.index === path) + 1;
}
