import type { Rule } from '@avfleet/config';
import { fail, type ScanBody, type ScanContext, type Scanner, type Verdict } from '@avfleet/scanners';
import { Readable } from 'node:stream';
import { EICAR_TEST_STRING } from '../mime/select-parts';
import type { RuleVerdictCache } from '../cache/rule-verdict-cache';
import type { ObjectStore } from '../store/object-store';
import { readJobBody } from './read-job-body';
import { WHOLE_READ_MAX_BYTES, type ScanJobData, type ScanJobResult } from '../contracts/scan-job-data';
import type { FleetMetrics } from '../observe/fleet-metrics';
import type { Logger } from '../observe/logger';

export interface ScanPartDeps {
  readonly rules: ReadonlyMap<string, Rule>;
  readonly scanners: ReadonlyMap<string, Scanner>;
  readonly cache: RuleVerdictCache;
  readonly store: ObjectStore;
  readonly metrics: Pick<FleetMetrics, 'scans' | 'scanDuration' | 'scannedBytes'>;
  readonly logger: Logger;
  readonly configDigest: string;
}

/** Scans one part (or the whole message) under one rule; see createScanPart. */
export type ScanPart = (part: ScanJobData) => Promise<ScanJobResult>;

/**
 * The scan step: a rule, a stored part and its deadline in, a verdict out —
 * verdict cache → object store → scanner → verdict. A scanner error is a `fail`
 * verdict (returned, not thrown); only a crash or an unreadable store throws,
 * so the queue retries the job.
 */
export function createScanPart(deps: ScanPartDeps): ScanPart {
  let digestWarned = false;
  const inflight = new Map<string, Promise<Verdict>>();
  return async (d) => {
    const started = Date.now();
    const rule = deps.rules.get(d.rule);
    const scanner = deps.scanners.get(d.rule);
    if (!rule || !scanner) {
      return done(d, fail(`rule '${d.rule}' is not configured on this worker`, 'error'), false, started);
    }
    if (d.configDigest !== deps.configDigest && !digestWarned) {
      digestWarned = true;
      deps.logger.warn({ rule: d.rule, jobDigest: d.configDigest, ownDigest: deps.configDigest }, 'job was produced with a different configuration; scanning with this worker\'s own (rolling update?)');
    }
    // The rule's whole time budget (timeout × (1 + retransmits)) covers the version lookup and the scan.
    const budgetEnd = started + rule.maxScanTime * 1000;
    const sigver = await signatureVersionWithin(scanner, rule.timeout * 1000);
    // Rspamd-compatible keys hash the bytes themselves: read them before the lookup.
    const early = deps.cache.rspamdCompat ? await readBodyOrFail(deps.store, d) : undefined;
    if (early && !Buffer.isBuffer(early)) return done(d, early, false, started);
    const { key, verdict: hit } = await deps.cache.lookup(rule, d.sha256, sigver, early);
    if (hit) return done(d, hit, true, started);
    // Single flight: the same bytes for the same rule already being scanned in this process are not sent again.
    let pending = inflight.get(key);
    if (!pending) {
      pending = (async () => {
        // A range of the stored message (D59, at most WHOLE_READ_MAX_BYTES) is read and checked whole before the scanner sees it.
        const content = early ?? (d.range && !d.substituteEicar ? await readBodyOrFail(deps.store, d) : undefined);
        if (content && !Buffer.isBuffer(content)) return content;
        const body = scanBody(d, deps.store, content);
        const v = budgetSpentAsTimeout(await scanner.scan(body, scanContext(d, budgetEnd)), rule);
        deps.metrics.scannedBytes.inc({ rule: rule.name }, body.size);
        // Not awaited (D62): the cache write goes out with the part's record, in one round trip on
        // the same connection, and Redis runs it first; a failed write is the cache's warning, never the scan's.
        deps.cache.remember(rule, key, v, d.filename).catch((err: unknown) => {
          deps.logger.warn({ rule: rule.name, err: err instanceof Error ? err.message : String(err) }, 'verdict cache write failed (the next scan of these bytes scans again)');
        });
        return v;
      })().finally(() => inflight.delete(key));
      inflight.set(key, pending);
    }
    const verdict = await pending;
    const result = done(d, verdict, false, started);
    logVerdict(deps.logger, rule, d, result);
    return result;
  };

  function done(d: ScanJobData, verdict: Verdict, cached: boolean, started: number): ScanJobResult {
    const ms = Date.now() - started;
    deps.metrics.scans.inc({ rule: d.rule, verdict: verdict.kind });
    deps.metrics.scanDuration.observe({ rule: d.rule }, ms / 1000);
    return { rule: d.rule, partIndex: d.partIndex, verdict, cached, ms };
  }
}

/**
 * The scanner's signature version (cache key), or null when it does not answer within one
 * attempt's timeout: a server that hangs on VERSION must not double the rule's time.
 * A version the scanner already holds (its cache; the usual case) is answered without
 * arming a timer.
 */
export async function signatureVersionWithin(scanner: Scanner, ms: number): Promise<string | null> {
  if (!scanner.signatureVersion) return null;
  const answer: { settled: boolean; value: string | null } = { settled: false, value: null };
  const version = scanner.signatureVersion().then(
    (v) => ((answer.settled = true), (answer.value = v)),
    () => ((answer.settled = true), (answer.value = null)),
  );
  // One microtask: a promise that was already resolved has run its handler by now.
  await undefined;
  if (answer.settled) return answer.value;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  try {
    return await Promise.race([version, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The job's body read whole (readJobBody), or a fail verdict when it cannot be read, as a
 * scanner reports a body it cannot open — among them a range of the stored message that does not
 * decode to the expected bytes (AVF_ERR_STORE_BODY_MISMATCH). A fail is never cached: the next
 * scan reads the body again.
 */
async function readBodyOrFail(store: ObjectStore, d: ScanJobData): Promise<Buffer | Verdict> {
  try {
    return await readJobBody(store, d);
  } catch (err) {
    return fail(`cannot open the body to scan: ${err instanceof Error ? err.message : String(err)}`, 'error');
  }
}

/** A scan cut at the rule's own budget is a timeout (reason `deadline` belongs to the caller's Deadline). */
function budgetSpentAsTimeout(verdict: Verdict, rule: Rule): Verdict {
  if (verdict.kind !== 'fail' || verdict.reason !== 'deadline') return verdict;
  return fail(`${verdict.text} (rule time budget of ${rule.maxScanTime} s, timeout × (1 + retransmits), spent)`, 'timeout');
}

function scanBody(d: ScanJobData, store: ObjectStore, content: Buffer | undefined): ScanBody {
  const meta = {
    ...(d.filename ? { filename: d.filename } : {}), ...(d.contentType ? { contentType: d.contentType } : {}), wholeMessage: d.partIndex === null,
  };
  if (d.substituteEicar) {
    const eicar = Buffer.from(EICAR_TEST_STRING, 'latin1');
    return { ...meta, size: eicar.length, buffer: eicar, open: () => Readable.from([eicar]) };
  }
  if (content) return { ...meta, size: content.length, buffer: content, sha256: d.sha256, open: () => Readable.from([content]) };
  return { ...meta, size: d.size, sha256: d.sha256, open: () => openStoredBody(store, d) };
}

/** The stored body as a stream: one chunk read at once when small, the store's stream otherwise. */
function openStoredBody(store: ObjectStore, d: ScanJobData): Promise<Readable> {
  if (d.size > WHOLE_READ_MAX_BYTES) return store.getStream(d.key);
  return store.get(d.key).then((bytes) => Readable.from([bytes]));
}

/** The envelope facts the producer passed along, for protocols that send them (ICAP, Kaspersky SE). */
function scanContext(d: ScanJobData, deadlineMs: number): ScanContext {
  const c = d.context;
  return {
    deadlineMs,
    ...(c?.clientIp ? { clientIp: c.clientIp } : {}),
    ...(c?.from ? { from: c.from } : {}),
    ...(c?.rcpt && c.rcpt.length > 0 ? { rcpt: c.rcpt } : {}),
    ...(c?.helo ? { helo: c.helo } : {}),
    ...(c?.queueId ? { queueId: c.queueId } : {}),
  };
}

function logVerdict(logger: Logger, rule: Rule, d: ScanJobData, r: ScanJobResult): void {
  const line = { scanId: d.scanId, rule: rule.name, part: d.partIndex, verdict: r.verdict, ms: r.ms, cached: r.cached };
  if (r.verdict.kind === 'clean') {
    if (rule.logClean) logger.info(line, 'part clean');
    else logger.debug(line, 'part clean');
  } else if (r.verdict.kind === 'fail') {
    logger.warn(line, 'part scan failed');
  } else {
    logger.info(line, 'part verdict');
  }
}
