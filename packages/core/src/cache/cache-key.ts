import type { Rule } from '@avfleet/config';
import { blake2bHex } from './blake2b';
import { CacheError } from './cache-errors';

/**
 * Verdict cache keys (docs/interfaces.md §5, docs/semantics.md §6.2).
 *
 * - default: `<prefix><sigver>:<sha256 hex of the scanned bytes>`, sigver `0`
 *   when the scanner reports none — a signature update re-scans;
 * - `rspamdCompat`: Rspamd's exact key, `<prefix><keyed BLAKE2b-512 hex>` of
 *   the bytes, no signature version, so avfleet and Rspamd share one cache.
 *
 * The prefix is used verbatim (no separator is added). In both modes the key
 * is a pure function of the exact bytes the scanner would receive (before the
 * EICAR substitution) plus the prefix.
 *
 * Whole-message rules: Rspamd keys them by its internal t1ha2 message checksum
 * (32 hex characters), which is not reproduced; in compat mode they are keyed
 * by the BLAKE2b digest of the raw message instead, so such entries are simply
 * never shared with Rspamd (the key lengths differ, there is no false hit).
 */

/** `BLAKE2b-512("rspamd")`, the key of Rspamd's part digests. */
export const RSPAMD_DIGEST_KEY: Uint8Array = Buffer.from(
  'ef43ae80cc8dc34c6f1bd6181bae87740ccaf78e5f2e5432f679b92726962092700785eb83f789e0d7322ad21a6441ef49ffc38c54f96774301e702eb71209fe',
  'hex',
);

export interface CacheKeyOptions {
  /** `AVFLEET_CACHE_RSPAMD_COMPAT`. */
  readonly rspamdCompat: boolean;
  /** The scanned bytes; required when `rspamdCompat` is true. */
  readonly content?: Uint8Array;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Rspamd's part digest: keyed BLAKE2b-512, 128 lowercase hex characters. */
export function rspamdDigest(content: Uint8Array): string {
  return blake2bHex(content, RSPAMD_DIGEST_KEY, 64);
}

/** The cache key for one scanned body under one rule. */
export function cacheKey(
  rule: Pick<Rule, 'prefix' | 'name'>,
  sha256: string,
  sigver: string | null,
  options: CacheKeyOptions,
): string {
  if (options.rspamdCompat) {
    if (options.content === undefined) {
      throw new CacheError(
        'AVF_ERR_CACHE_KEY_CONTENT',
        `rule ${rule.name}: Rspamd-compatible cache keys need the scanned bytes; pass options.content (or set AVFLEET_CACHE_RSPAMD_COMPAT=false)`,
      );
    }
    return rule.prefix + rspamdDigest(options.content);
  }
  const digest = sha256.toLowerCase();
  if (!SHA256_HEX.test(digest)) {
    throw new CacheError(
      'AVF_ERR_CACHE_KEY_DIGEST',
      `rule ${rule.name}: cache key needs a SHA-256 hex digest (64 hex characters), got "${sha256}"; pass the SHA-256 of the scanned bytes`,
    );
  }
  const version = sigver === null || sigver === '' ? '0' : sigver;
  return `${rule.prefix}${version}:${digest}`;
}
