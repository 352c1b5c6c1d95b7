import { buildAntivirusConfig, parseUcl, type ActionThresholds, type AntivirusConfig, type Rule } from '@avfleet/config';
import { clean, isCacheable, virus, type Verdict } from '@avfleet/scanners';
import { rejectThreshold } from '../../src/aggregate';
import { VerdictCache } from '../../src/cache/verdict-cache';
import { cacheKey } from '../../src/cache/cache-key';
import { decodeOptionsFor, encodeOptionsFor } from '../../src/cache/cache-value';
import type { AggregateJobData } from '../../src/contracts/aggregate-job-data';
import { EMPTY_META } from '../../src/contracts/request-meta';
import type { ScanJobResult } from '../../src/contracts/scan-job-data';
import type { PartSummary, ScanResult } from '../../src/contracts/scan-result';
import type { MimeLimits, SplitMessage } from '../../src/mime/mime-part';
import type { SelectedBody } from '../../src/mime/select-parts';
import { selectBodies } from '../../src/mime/select-parts';
import { splitMessage } from '../../src/mime/split-message';
import { loadWhitelists } from '../../src/aggregate/load-whitelists';
import { archiveLimitFails } from '../../src/intake/archive-limit-fails';
import { finishScan } from '../../src/aggregate/finish-scan';
import { EICAR } from './build-message';

/**
 * The producer + worker + aggregation path of one message, without Redis,
 * queues or scanners: the real config loader, MIME split, part selection and
 * gates, verdict cache (over an in-memory client), archive-limit verdicts and
 * finishScan; a fake scanner decides the verdicts. Mirrors accept-message.ts
 * (cache first, then gates: docs/semantics.md §4/§5) and scan-part.ts.
 */

/** An in-memory stand-in for Redis MGET/SETEX, shared between runs to test caching. */
export class MemoryRedis {
  readonly values = new Map<string, { value: string; ttl: number }>();
  async mget(...keys: string[]): Promise<(string | null)[]> {
    return keys.map((key) => this.values.get(key)?.value ?? null);
  }
  async setex(key: string, ttl: number, value: string): Promise<'OK'> {
    this.values.set(key, { value, ttl });
    return 'OK';
  }
}

export type FakeScanner = (rule: Rule, body: SelectedBody) => Verdict;

/** EICAR → `Eicar-Test-Signature`, anything else clean. */
export const eicarScanner: FakeScanner = (_rule, body) => (body.content.toString('latin1').includes(EICAR) ? virus(['Eicar-Test-Signature']) : clean());

/** The verdict given for the attachment's file name, clean for every other body. */
export const byName = (verdicts: Record<string, Verdict>): FakeScanner => (_rule, body) => verdicts[body.filename ?? ''] ?? clean();

export interface RunOptions {
  /** The inside of the antivirus section. */
  readonly conf: string | AntivirusConfig;
  readonly message: Buffer;
  readonly scanner?: FakeScanner;
  readonly redis?: MemoryRedis;
  readonly ip?: string;
  readonly score?: number;
  readonly thresholds?: ActionThresholds;
  readonly groupFile?: string;
  readonly forceActions?: string;
  readonly mimeLimits?: Partial<MimeLimits>;
}

export interface RunOutput {
  readonly result: ScanResult;
  readonly config: AntivirusConfig;
  /** What each rule sent to its scanner. */
  readonly scanned: { rule: string; partIndex: string | null; content: Buffer }[];
  readonly split: SplitMessage;
}

export const THRESHOLDS: ActionThresholds = { reject: 15, 'add header': 6, greylist: 4 };

export function loadConf(conf: string, extra: { groupFile?: string; forceActions?: string } = {}): AntivirusConfig {
  const parse = (text: string, filename: string) => parseUcl(text, { filename }).value;
  return buildAntivirusConfig(parse(conf, 'antivirus.conf'), {
    groupFile: extra.groupFile ? parse(extra.groupFile, 'antivirus_group.conf') : null,
    forceActions: extra.forceActions ? parse(extra.forceActions, 'force_actions.conf') : null,
  });
}

export async function runPipeline(opts: RunOptions): Promise<RunOutput> {
  const config = typeof opts.conf === 'string' ? loadConf(opts.conf, opts) : opts.conf;
  const scanner = opts.scanner ?? eicarScanner;
  const cache = new VerdictCache(opts.redis ?? new MemoryRedis());
  const whitelists = loadWhitelists(config.rules);
  const thresholds = opts.thresholds ?? THRESHOLDS;
  const message = await splitMessage(opts.message, opts.mimeLimits);
  const skipped: Record<string, string> = {};
  const results: ScanJobResult[] = [];
  const limitFails: ScanJobResult[] = [];
  const scanned: RunOutput['scanned'] = [];

  for (const rule of config.rules) {
    if (opts.ip && whitelists.ips.get(rule.name)?.containsIp(opts.ip)) {
      skipped[rule.name] = 'whitelist_ip';
      continue;
    }
    const sel = selectBodies(rule, message, { score: opts.score, rejectThreshold: rejectThreshold(thresholds) }, opts.message);
    let produced = 0;
    const candidates = [...sel.bodies.map((b) => ({ body: b, gated: false })), ...sel.gated.map((g) => ({ body: g.body, gated: true }))];
    for (const { body, gated } of candidates) {
      const key = cacheKey(rule, body.sha256, null, { rspamdCompat: false });
      const hit = rule.noCache ? null : await cache.get(key, decodeOptionsFor(rule));
      if (hit) {
        results.push({ rule: rule.name, partIndex: body.partIndex, verdict: hit, cached: true, ms: 0 });
        produced++;
        continue;
      }
      if (gated) continue;
      scanned.push({ rule: rule.name, partIndex: body.partIndex, content: body.content });
      const verdict = scanner(rule, body);
      if (!rule.noCache && isCacheable(verdict)) {
        await cache.set(key, verdict, rule.cacheExpire, encodeOptionsFor(rule, body.filename));
      }
      results.push({ rule: rule.name, partIndex: body.partIndex, verdict, cached: false, ms: 0 });
      produced++;
    }
    limitFails.push(...archiveLimitFails(rule, message, sel.bodies));
    if (produced === 0) skipped[rule.name] = sel.skipped ?? 'no_parts';
  }

  const parts: PartSummary[] = message.parts.map((p, i) => ({
    index: i + 1, path: p.index, filename: p.filename, content_type: p.declaredType, detected_type: p.detectedType, size: p.size, sha256: '',
  }));
  const job: AggregateJobData = {
    v: 1, scanId: 'sem-test', configDigest: config.digest, receivedAt: 0, messageKey: 'm', meta: metaFor(opts),
    parts, skipped, expected: [], preResolved: [], ...(limitFails.length > 0 ? { limitFails } : {}),
  };
  const result = finishScan({ rules: config.rules, symbolScores: config.symbolScores, thresholds, whitelists: whitelists.names, job, results, now: 0 });
  return { result, config, scanned, split: message };
}

function metaFor(opts: RunOptions): AggregateJobData['meta'] {
  return { ...EMPTY_META, ip: opts.ip ?? null, score: opts.score ?? null };
}

/** `{ SYMBOL: [options…] }` of a result, for compact assertions. */
export function symbolOptions(result: ScanResult): Record<string, readonly string[]> {
  return Object.fromEntries(Object.values(result.symbols).map((s) => [s.name, s.options ?? []]));
}
