import { defaultCategorySymbols, HASH_CATEGORY_NAMES, type HashCategoryName, type HashServiceType, type ScannerType } from '@avfleet/scanners';
import type { CategorySymbol } from './rule';

/**
 * Per-type rule defaults (docs/scanners.md "Summary", the icap and hash-service
 * sections): ports, timeouts, retransmits, caching, messages, symbols. The
 * defaults of the type-specific options (tmpdir, kaspersky_se, hash
 * thresholds and URLs, icap) are the clients' own, in @avfleet/scanners.
 */
export interface ScannerDefaults {
  /** 0 = no default port (kaspersky, avast; the rule's `default_port` is ignored for them). */
  readonly defaultPort: number;
  /** True for kaspersky and avast: Rspamd hands a fixed 0 to the server parser. */
  readonly ignoresDefaultPortOption: boolean;
  /** Seconds per attempt. */
  readonly timeout: number;
  readonly retransmits: number;
  /** Seconds. */
  readonly cacheExpire: number;
  readonly message: string;
  readonly defaultScore: number;
}

export const MESSAGE_VIRUS_FOUND = '${SCANNER}: virus found: "${VIRUS}"';
export const MESSAGE_SPAM_FOUND = '${SCANNER}: spam message found: "${VIRUS}"';
export const MESSAGE_ICAP_FOUND = '${SCANNER}: threat found with icap scanner: "${VIRUS}"';
/** Message of a forced action when the template is empty (docs/semantics.md §8). */
export const MESSAGE_FALLBACK = 'Rejected';

const socket = (defaultPort: number, timeout: number, retransmits: number): ScannerDefaults => ({
  defaultPort,
  ignoresDefaultPortOption: defaultPort === 0,
  timeout,
  retransmits,
  cacheExpire: 3600,
  message: MESSAGE_VIRUS_FOUND,
  defaultScore: 1,
});

const hash: ScannerDefaults = {
  defaultPort: 0,
  ignoresDefaultPortOption: false,
  timeout: 5.0,
  retransmits: 0,
  cacheExpire: 7200,
  message: MESSAGE_SPAM_FOUND,
  defaultScore: 1,
};

export const SCANNER_DEFAULTS: Readonly<Record<ScannerType, ScannerDefaults>> = {
  clamav: socket(3310, 5.0, 2),
  fprot: socket(10200, 5.0, 2),
  sophos: socket(4010, 15.0, 2),
  savapi: socket(4444, 15.0, 1),
  kaspersky: socket(0, 5.0, 1),
  kaspersky_se: {
    ...socket(9999, 5.0, 1),
    cacheExpire: 7200,
    message: MESSAGE_SPAM_FOUND,
  },
  avast: socket(0, 4.0, 1),
  virustotal: hash,
  metadefender: hash,
  icap: {
    ...socket(1344, 10.0, 2),
    cacheExpire: 7200,
    message: MESSAGE_ICAP_FOUND,
  },
};

export const DEFAULT_SAVAPI_PRODUCT_ID = '0';
export const DEFAULT_DESCRIPTION = 'antivirus symbol';
export const DEFAULT_GROUP = 'antivirus';
/** ICAP rules (external_services) register their symbols here. */
export const ICAP_GROUP = 'external_services';
export const ICAP_DESCRIPTION = 'external services symbol';

const CATEGORY_SCORES: Readonly<Record<HashCategoryName, number>> = { clean: -0.5, low: 2.0, medium: 5.0, high: 8.0 };

function categorySymbols(prefix: string, label: string): Readonly<Record<HashCategoryName, CategorySymbol>> {
  const symbols = defaultCategorySymbols(prefix);
  const descriptions: Record<HashCategoryName, string> = {
    clean: `${label} decided attachment to be clean`,
    low: `${label} found low number of threats`,
    medium: `${label} found medium number of threats`,
    high: `${label} found high number of threats`,
  };
  const out = {} as Record<HashCategoryName, CategorySymbol>;
  for (const c of HASH_CATEGORY_NAMES) {
    out[c] = { symbol: symbols[c].symbol, score: CATEGORY_SCORES[c], description: descriptions[c], group: DEFAULT_GROUP, enabled: symbols[c].enabled };
  }
  return out;
}

export const HASH_CATEGORY_DEFAULTS: Readonly<Record<HashServiceType, Readonly<Record<HashCategoryName, CategorySymbol>>>> = {
  virustotal: categorySymbols('VIRUSTOTAL', 'VirusTotal'),
  metadefender: categorySymbols('METADEFENDER', 'MetaDefender'),
};
