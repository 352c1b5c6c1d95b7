import { AvastClient } from './clients/avast/avast-client';
import { ClamavClient, type ClamavClientOptions } from './clients/clamav/clamav-client';
import { FprotClient } from './clients/fprot/fprot-client';
import { KasperskyClient } from './clients/kaspersky/kaspersky-client';
import { SavapiClient } from './clients/savapi/savapi-client';
import { SophosClient } from './clients/sophos/sophos-client';
import { IcapClient } from './clients/icap/icap-client';
import type { IcapSettings } from './clients/icap/icap-options';
import { KasperskySeClient, type KasperskySeClientOptions } from './clients/kaspersky-se/kaspersky-se-client';
import { MetadefenderClient } from './clients/metadefender/metadefender-client';
import type { HashLookupClientOptions } from './clients/shared/hash-lookup';
import { VirustotalClient } from './clients/virustotal/virustotal-client';
import { ScannerError } from './errors';
import type { Scanner } from './scanner';

/** Every scanner type the antivirus module knows (scanners.md "Summary"). */
export const SCANNER_TYPES = ['clamav', 'fprot', 'sophos', 'savapi', 'kaspersky', 'kaspersky_se', 'avast', 'virustotal', 'metadefender', 'icap'] as const;
export type ScannerTypeName = (typeof SCANNER_TYPES)[number];

/** Options of every type in one bag: the socket options (clamav's) plus each type's extras; `checkOptions` enforces what a type requires. */
export type ScannerClientOptions = ClamavClientOptions & {
  /** savapi, kaspersky, avast: directory of the private temp files (required for them). */
  readonly tmpdir?: string;
  /** savapi: the licence's product id for `SET PRODUCT` (required for it). */
  readonly productId?: string;
} & HttpScannerExtras;

/**
 * kaspersky_se (useHttps, useFiles, keepalive, authString, userAgent), the hash
 * services (apikey, url, thresholds, symbols; `servers` is ignored for them and
 * may have no entries) and icap (its settings, camelCase).
 */
export type HttpScannerExtras = Partial<Omit<KasperskySeClientOptions, 'servers' | 'timeoutSec' | 'retransmits' | 'upstream' | 'onAttempt' | 'tmpdir'>> &
  Partial<Omit<HashLookupClientOptions, 'timeoutSec' | 'onAttempt'>> &
  Partial<IcapSettings>;

const HASH_TYPES: readonly string[] = ['virustotal', 'metadefender'];

/** Types that hand the scanner a temp file path and so need `tmpdir`. */
const TEMP_FILE_TYPES: readonly string[] = ['savapi', 'kaspersky', 'avast'];

/**
 * Scanner type → client: the only registry. Throws ScannerError
 * AVF_ERR_SCANNER_UNKNOWN_TYPE for a type it does not know, and
 * AVF_ERR_SCANNER_OPTIONS for options no client can use.
 */
export function createScanner(type: string, options: ScannerClientOptions): Scanner {
  if (!(SCANNER_TYPES as readonly string[]).includes(type)) {
    throw new ScannerError('AVF_ERR_SCANNER_UNKNOWN_TYPE', `unknown scanner type "${type}"; use one of: ${SCANNER_TYPES.join(', ')}`);
  }
  checkOptions(type, options);
  switch (type as ScannerTypeName) {
    case 'clamav':
      return new ClamavClient(options);
    case 'fprot':
      return new FprotClient(options);
    case 'sophos':
      return new SophosClient(options);
    case 'savapi':
      return new SavapiClient({ ...options, tmpdir: options.tmpdir ?? '', productId: options.productId ?? '' });
    case 'kaspersky':
      return new KasperskyClient({ ...options, tmpdir: options.tmpdir ?? '' });
    case 'avast':
      return new AvastClient({ ...options, tmpdir: options.tmpdir ?? '' });
    case 'kaspersky_se':
      return new KasperskySeClient(options);
    case 'virustotal':
      return new VirustotalClient({ ...options, apikey: options.apikey ?? '' });
    case 'metadefender':
      return new MetadefenderClient({ ...options, apikey: options.apikey ?? '' });
    case 'icap':
      return new IcapClient(options);
    default: {
      const unhandled: never = type as never;
      throw new ScannerError('AVF_ERR_SCANNER_UNKNOWN_TYPE', `unknown scanner type "${String(unhandled)}"`);
    }
  }
}

function checkOptions(type: string, o: ScannerClientOptions): void {
  const problems: string[] = [];
  if (!(o.timeoutSec > 0)) problems.push(`timeoutSec must be > 0 (got ${o.timeoutSec})`);
  if (!(Number.isInteger(o.retransmits) && o.retransmits >= 0)) problems.push(`retransmits must be an integer ≥ 0 (got ${o.retransmits})`);
  if (HASH_TYPES.includes(type)) {
    if (!o.apikey) problems.push('apikey is required (the service\'s API key; set apikey in the rule)');
  } else if (o.servers.entries.length === 0) problems.push('servers has no entries ("no servers defined")');
  if (TEMP_FILE_TYPES.includes(type) && !o.tmpdir) problems.push('tmpdir is required (the directory for temp files the scanner reads; default /tmp)');
  if (type === 'savapi' && (o.productId === undefined || !/^\S+$/.test(o.productId))) problems.push(`productId is required and must be one word (the licence's product id; got ${JSON.stringify(o.productId)})`);
  if (problems.length > 0) throw new ScannerError('AVF_ERR_SCANNER_OPTIONS', `cannot build a ${type} scanner: ${problems.join('; ')}`);
}
