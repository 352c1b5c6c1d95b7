import type { CategorySymbol, ScannerType } from './rule';

/**
 * Per-type defaults (scanners.md "Summary", the icap and hash-service
 * sections). This is the only file holding per-type numbers.
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
  /** Hash-lookup service: no servers, needs `apikey`. */
  readonly hashService: boolean;
}

export const MESSAGE_VIRUS_FOUND = '${SCANNER}: virus found: "${VIRUS}"';
export const MESSAGE_SPAM_FOUND = '${SCANNER}: spam message found: "${VIRUS}"';
export const MESSAGE_ICAP_FOUND = '${SCANNER}: threat found with icap scanner: "${VIRUS}"';
/** Message of a forced action when the template is empty (semantics.md §8). */
export const MESSAGE_FALLBACK = 'Rejected';

const socket = (defaultPort: number, timeout: number, retransmits: number): ScannerDefaults => ({
  defaultPort,
  ignoresDefaultPortOption: defaultPort === 0,
  timeout,
  retransmits,
  cacheExpire: 3600,
  message: MESSAGE_VIRUS_FOUND,
  defaultScore: 1,
  hashService: false,
});

const hash: ScannerDefaults = {
  defaultPort: 0,
  ignoresDefaultPortOption: false,
  timeout: 5.0,
  retransmits: 0,
  cacheExpire: 7200,
  message: MESSAGE_SPAM_FOUND,
  defaultScore: 1,
  hashService: true,
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

export const DEFAULT_TMPDIR = '/tmp';
export const DEFAULT_SAVAPI_PRODUCT_ID = '0';
export const DEFAULT_DESCRIPTION = 'antivirus symbol';
export const DEFAULT_GROUP = 'antivirus';
/** ICAP rules (external_services) register their symbols here. */
export const ICAP_GROUP = 'external_services';
export const ICAP_DESCRIPTION = 'external services symbol';

export const KASPERSKY_SE_DEFAULTS = {
  useHttps: false,
  useFiles: false,
  keepalive: true,
  authString: null,
} as const;

export const HASH_SERVICE_URLS: Readonly<Record<'virustotal' | 'metadefender', string>> = {
  virustotal: 'https://www.virustotal.com/vtapi/v2/file',
  metadefender: 'https://api.metadefender.com/v4/hash',
};

export const HASH_THRESHOLDS = { minimumEngines: 3, lowCategory: 5, mediumCategory: 10 } as const;

export const CATEGORY_NAMES = ['clean', 'low', 'medium', 'high'] as const;
export type CategoryName = (typeof CATEGORY_NAMES)[number];

const CATEGORY_SCORES: Readonly<Record<CategoryName, number>> = { clean: -0.5, low: 2.0, medium: 5.0, high: 8.0 };

function categorySymbols(prefix: string, label: string): Readonly<Record<CategoryName, CategorySymbol>> {
  const descriptions: Record<CategoryName, string> = {
    clean: `${label} decided attachment to be clean`,
    low: `${label} found low number of threats`,
    medium: `${label} found medium number of threats`,
    high: `${label} found high number of threats`,
  };
  const out = {} as Record<CategoryName, CategorySymbol>;
  for (const c of CATEGORY_NAMES) {
    out[c] = {
      symbol: `${prefix}_${c.toUpperCase()}`,
      score: CATEGORY_SCORES[c],
      description: descriptions[c],
      group: DEFAULT_GROUP,
      enabled: true,
    };
  }
  return out;
}

export const HASH_CATEGORY_DEFAULTS: Readonly<
  Record<'virustotal' | 'metadefender', Readonly<Record<CategoryName, CategorySymbol>>>
> = {
  virustotal: categorySymbols('VIRUSTOTAL', 'VirusTotal'),
  metadefender: categorySymbols('METADEFENDER', 'MetaDefender'),
};

/** ICAP options (scanners.md "ICAP options and defaults"), snake_case as in the configuration. */
export type IcapOptions = {
  readonly scheme: string;
  readonly ssl: boolean;
  readonly no_ssl_verify: boolean;
  readonly user_agent: string;
  readonly x_client_header: boolean;
  readonly x_rcpt_header: boolean;
  readonly x_from_header: boolean;
  readonly req_headers_enabled: boolean;
  readonly http_headers_enabled: boolean;
  readonly req_fake_url: string;
  readonly use_http_result_header: boolean;
  readonly use_http_3xx_as_threat: boolean;
  readonly use_specific_content_type: boolean;
};

export const ICAP_DEFAULTS: IcapOptions = {
  scheme: 'scan',
  ssl: false,
  no_ssl_verify: false,
  user_agent: 'Rspamd',
  x_client_header: false,
  x_rcpt_header: false,
  x_from_header: false,
  req_headers_enabled: true,
  http_headers_enabled: true,
  req_fake_url: 'http://127.0.0.1/mail',
  use_http_result_header: true,
  use_http_3xx_as_threat: false,
  use_specific_content_type: false,
};
