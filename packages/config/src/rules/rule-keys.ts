import { ICAP_DEFAULTS, type ScannerType } from '@avfleet/scanners';

/** Options every rule understands (docs/semantics.md §2, docs/interfaces.md §2 additions). */
export const COMMON_KEYS: readonly string[] = [
  'type', 'name', 'symbol', 'symbol_fail', 'symbol_encrypted', 'symbol_macro',
  'servers', 'default_port', 'timeout', 'retransmits',
  'scan_mime_parts', 'scan_text_mime', 'scan_image_mime',
  'mime_parts_filter_regex', 'mime_parts_filter_ext', 'text_part_min_words',
  'max_size', 'min_size', 'dynamic_scan', 'eicar_fake_pattern',
  'patterns', 'patterns_fail', 'whitelist', 'log_clean', 'show_attachments',
  'action', 'message', 'prefix', 'cache_expire', 'no_cache', 'symbol_type',
  'score', 'description', 'group', 'default_score', 'log_prefix',
  'attachments_only',
  // avfleet additions
  'action_on', 'fail_action', 'fail_message', 'rate_limit', 'archive_limits_fail',
];

/** Type-specific options (docs/scanners.md). */
export const TYPE_KEYS: Readonly<Record<ScannerType, readonly string[]>> = {
  clamav: [],
  fprot: [],
  sophos: [],
  savapi: ['product_id', 'tmpdir'],
  kaspersky: ['tmpdir'],
  kaspersky_se: ['tmpdir', 'use_https', 'use_files', 'keepalive', 'auth_string', 'socket'],
  avast: ['tmpdir'],
  virustotal: ['apikey', 'url', 'minimum_engines', 'low_category', 'medium_category', 'symbols'],
  metadefender: ['apikey', 'url', 'minimum_engines', 'low_category', 'medium_category', 'symbols'],
  icap: Object.keys(ICAP_DEFAULTS),
};

/** Options that exist elsewhere but do nothing for this type (a warning names the reason). */
export const IGNORED_KEYS: Readonly<Partial<Record<ScannerType, Readonly<Record<string, string>>>>> = {
  virustotal: {
    servers: 'hash services do not use servers',
    retransmits: 'hash services never retry',
    default_port: 'hash services do not use servers',
    full_score_engines: 'Rspamd 3.4 option; avfleet uses the category scheme (low_category, medium_category, symbols)',
  },
  metadefender: {
    servers: 'hash services do not use servers',
    retransmits: 'hash services never retry',
    default_port: 'hash services do not use servers',
  },
  icap: {
    eicar_fake_pattern: 'ICAP rules send parts exactly as decoded',
  },
};

/** Levenshtein distance ≤ 2 suggestion for a misspelt key, or null. */
export function suggestKey(key: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = 3;
  for (const k of known) {
    const d = distance(key, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 99;
}
