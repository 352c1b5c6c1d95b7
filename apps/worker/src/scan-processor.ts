import type { Job } from 'bullmq';
import type { Rule } from '@avfleet/config';
import { EICAR_TEST_STRING, cacheKey, type FleetMetrics, type Logger, type ObjectStore, type ScanJobData, type ScanJobResult, type VerdictCache } from '@avfleet/core';
import { fail, isCacheable, type ScanBody, type Scanner, type Verdict } from '@avfleet/scanners';
import { Readable } from 'node:stream';

export interface ScanProcessorDeps {
  readonly rules: ReadonlyMap<string, Rule>;
  readonly scanners: ReadonlyMap<string, Scanner>;
  readonly cache: VerdictCache;
  readonly store: ObjectStore;
  readonly metrics: FleetMetrics;
  readonly logger: Logger;
  readonly configDigest: string;
  readonly rspamdCompatCache: boolean;
}

/**
 * One scan job: verdict cache → object store → scanner → verdict. A scanner
 * error is a `fail` verdict (returned, not thrown); only a crash or an
 * unreadable store fails the job, so BullMQ retries it.
 */
export function createScanProcessor(deps: ScanProcessorDeps): (job: Job<ScanJobData>) => Promise<ScanJobResult> {
  let digestWarned = false;
  return async (job) => {
    const d = job.data;
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
    const sigver = (await scanner.signatureVersion?.().catch(() => null)) ?? null;
    const content = deps.rspamdCompatCache ? await deps.store.get(d.key) : undefined;
    const key = cacheKey(rule, d.sha256, sigver, { rspamdCompat: deps.rspamdCompatCache, content });
    if (!rule.noCache) {
      const hit = await deps.cache.get(key);
      deps.metrics.cacheLookups.inc({ rule: rule.name, result: hit ? 'hit' : 'miss' });
      if (hit) return done(d, hit, true, started);
    }
    const body = scanBody(d, deps.store, content);
    const verdict = await scanner.scan(body);
    deps.metrics.scannedBytes.inc({ rule: rule.name }, body.size);
    if (!rule.noCache && isCacheable(verdict)) {
      await deps.cache.set(key, verdict, rule.cacheExpire, { filename: rule.showAttachments ? d.filename : null, isIcap: rule.type === 'icap' });
    }
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

function scanBody(d: ScanJobData, store: ObjectStore, content: Buffer | undefined): ScanBody {
  const meta = { ...(d.filename ? { filename: d.filename } : {}), ...(d.contentType ? { contentType: d.contentType } : {}) };
  if (d.substituteEicar) {
    const eicar = Buffer.from(EICAR_TEST_STRING, 'latin1');
    return { ...meta, size: eicar.length, buffer: eicar, open: () => Readable.from([eicar]) };
  }
  if (content) return { ...meta, size: content.length, buffer: content, sha256: d.sha256, open: () => Readable.from([content]) };
  return { ...meta, size: d.size, sha256: d.sha256, open: () => store.getStream(d.key) };
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
