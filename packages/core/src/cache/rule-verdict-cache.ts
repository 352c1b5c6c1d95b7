import type { Rule } from '@avfleet/config';
import { isCacheable, type Verdict } from '@avfleet/scanners';
import { cacheKey } from './cache-key';
import { decodeOptionsFor, encodeOptionsFor } from './cache-value';
import type { VerdictCache } from './verdict-cache';

/** Where lookups are counted (avfleet_cache_lookups_total, observe/fleet-metrics.ts). */
export interface CacheLookupCounter {
  readonly cacheLookups: { inc(labels: { rule: string; result: 'hit' | 'miss' }): void };
}

/** One lookup: the key it used (to store the verdict under later) and what was cached, if anything. */
export interface RuleCacheLookup {
  readonly key: string;
  readonly verdict: Verdict | null;
}

/** One body to look up: under `rule`, by its digest and the scanner's signature version (`content` only for Rspamd-compatible keys). */
export interface CacheLookupRequest {
  readonly rule: Rule;
  readonly sha256: string;
  readonly sigver: string | null;
  readonly content?: Buffer | undefined;
}

/**
 * The verdict cache as a rule sees it (docs/semantics.md §6): the key from the rule's prefix,
 * the body's digest and the scanner's signature version; `no_cache` rules never read or write;
 * every lookup counted in avfleet_cache_lookups_total. The one cache path of the producer's
 * probe and the worker's scan.
 */
export class RuleVerdictCache {
  constructor(
    private readonly cache: VerdictCache,
    /** AVFLEET_CACHE_RSPAMD_COMPAT: keys are Rspamd's digest of the bytes, so lookups need the content. */
    readonly rspamdCompat: boolean,
    private readonly metrics?: CacheLookupCounter,
  ) {}

  /** The key of `sha256` under `rule` and signature version `sigver` (`content`: the bytes, needed only when rspamdCompat). */
  keyFor(rule: Rule, sha256: string, sigver: string | null, content?: Buffer): string {
    return cacheKey(rule, sha256, sigver, this.rspamdCompat ? { rspamdCompat: true, content } : { rspamdCompat: false });
  }

  /** The cached verdict, or null (a miss, a Redis error, or a `no_cache` rule, which is not looked up nor counted). */
  async lookup(rule: Rule, sha256: string, sigver: string | null, content?: Buffer): Promise<RuleCacheLookup> {
    return (await this.lookupMany([{ rule, sha256, sigver, content }]))[0]!;
  }

  /** {@link lookup} for several bodies in one round trip (one MGET for those whose rule caches). */
  async lookupMany(requests: readonly CacheLookupRequest[]): Promise<RuleCacheLookup[]> {
    const keys = requests.map((r) => this.keyFor(r.rule, r.sha256, r.sigver, r.content));
    const read = requests.flatMap((r, i) => (r.rule.noCache ? [] : [i]));
    const verdicts = await this.cache.getMany(read.map((i) => keys[i]!), read.map((i) => decodeOptionsFor(requests[i]!.rule)));
    const found = new Map(read.map((i, j) => [i, verdicts[j] ?? null]));
    return requests.map((r, i) => {
      const verdict = found.get(i) ?? null;
      if (!r.rule.noCache) this.metrics?.cacheLookups.inc({ rule: r.rule.name, result: verdict ? 'hit' : 'miss' });
      return { key: keys[i]!, verdict };
    });
  }

  /** Stores a fresh verdict under `key` for the rule's cache_expire, unless the rule has `no_cache` or the verdict is not cacheable (a fail). */
  async remember(rule: Rule, key: string, verdict: Verdict, filename: string | null): Promise<void> {
    if (rule.noCache || !isCacheable(verdict)) return;
    await this.cache.set(key, verdict, rule.cacheExpire, encodeOptionsFor(rule, filename));
  }
}
