import { createHash } from 'node:crypto';
import type { ScanBody } from '../../scanner';
import { category, clean, type Verdict } from '../../verdict';

/**
 * What the two hash-lookup services (virustotal, metadefender) share
 * (docs/scanners.md): thresholds, category symbols, the P/T → category decision,
 * and the one digest per body.
 */
export const HASH_CATEGORY_NAMES = ['clean', 'low', 'medium', 'high'] as const;
export type HashCategoryName = (typeof HASH_CATEGORY_NAMES)[number];

/** The scanner types that look a body's hash up in a web service: no servers, an apikey. */
export const HASH_SERVICE_TYPES = ['virustotal', 'metadefender'] as const;
export type HashServiceType = (typeof HASH_SERVICE_TYPES)[number];

/** Each service's public API: the default of a rule's `url`. */
export const HASH_SERVICE_URLS: Readonly<Record<HashServiceType, string>> = {
  virustotal: 'https://www.virustotal.com/vtapi/v2/file',
  metadefender: 'https://api.metadefender.com/v4/hash',
};

export interface HashCategorySymbol {
  readonly symbol: string;
  /** false when the operator wrote `symbols.<category> = false`: the category emits nothing. */
  readonly enabled: boolean;
}

export interface HashThresholds {
  readonly minimumEngines: number;
  readonly lowCategory: number;
  readonly mediumCategory: number;
  readonly symbols: Readonly<Record<HashCategoryName, HashCategorySymbol>>;
}

export const HASH_DEFAULT_THRESHOLDS = { minimumEngines: 3, lowCategory: 5, mediumCategory: 10 } as const;

export function defaultCategorySymbols(prefix: string): Readonly<Record<HashCategoryName, HashCategorySymbol>> {
  return {
    clean: { symbol: `${prefix}_CLEAN`, enabled: true },
    low: { symbol: `${prefix}_LOW`, enabled: true },
    medium: { symbol: `${prefix}_MEDIUM`, enabled: true },
    high: { symbol: `${prefix}_HIGH`, enabled: true },
  };
}

/** The category symbol with its option, or CLEAN (cached `OK`) when that category is disabled. */
export function categoryOrClean(t: HashThresholds, name: HashCategoryName, option: string): Verdict {
  const s = t.symbols[name];
  return s.enabled ? category(s.symbol, option) : clean();
}

/**
 * The decision table shared by VirusTotal and MetaDefender: P detections of T
 * engines for hash H. P = 0 → clean symbol `H:0/T`; 0 < P < minimum_engines →
 * nothing (CLEAN); P ≥ medium_category → high; P ≥ low_category → medium;
 * else low, each with `H:P/T`.
 */
export function categoryFromCounts(t: HashThresholds, hash: string, positives: number, total: number): Verdict {
  if (positives === 0) return categoryOrClean(t, 'clean', `${hash}:0/${total}`);
  if (positives < t.minimumEngines) return clean();
  const option = `${hash}:${positives}/${total}`;
  if (positives >= t.mediumCategory) return categoryOrClean(t, 'high', option);
  if (positives >= t.lowCategory) return categoryOrClean(t, 'medium', option);
  return categoryOrClean(t, 'low', option);
}

/**
 * Lower-case hex digest of a body: the one the caller already holds
 * (`body.md5` / `body.sha256`), else computed from `body.buffer` or while
 * reading `body.open()` — once per body.
 */
export async function bodyDigest(body: ScanBody, algorithm: 'md5' | 'sha256'): Promise<string> {
  const known = algorithm === 'md5' ? body.md5 : body.sha256;
  if (known) return known.toLowerCase();
  const h = createHash(algorithm);
  if (body.buffer) return h.update(body.buffer).digest('hex');
  const stream = await body.open();
  try {
    for await (const chunk of stream as AsyncIterable<Buffer | string>) h.update(chunk);
  } finally {
    stream.destroy();
  }
  return h.digest('hex');
}

/** A number from JSON, or null when missing / not a finite number. */
export function jsonNumber(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
