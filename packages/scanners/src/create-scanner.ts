import { ClamavClient, type ClamavClientOptions } from './clients/clamav/clamav-client';
import { ScannerError } from './errors';
import type { Scanner } from './scanner';

/** Every scanner type the antivirus module knows (scanners.md "Summary"). */
export const SCANNER_TYPES = ['clamav', 'fprot', 'sophos', 'savapi', 'kaspersky', 'kaspersky_se', 'avast', 'virustotal', 'metadefender', 'icap'] as const;
export type ScannerTypeName = (typeof SCANNER_TYPES)[number];

/** Types with a client in this package. */
export const IMPLEMENTED_SCANNER_TYPES: readonly ScannerTypeName[] = ['clamav'];

/** Options by type; for now every implemented type is a socket scanner. Grows per type as clients land. */
export type ScannerClientOptions = ClamavClientOptions;

/**
 * Scanner type → client: the only registry. Throws ScannerError
 * (AVF_ERR_SCANNER_UNKNOWN_TYPE or AVF_ERR_SCANNER_NOT_IMPLEMENTED) for a type
 * it cannot build, and AVF_ERR_SCANNER_OPTIONS for options no client can use.
 */
export function createScanner(type: string, options: ScannerClientOptions): Scanner {
  if (!(SCANNER_TYPES as readonly string[]).includes(type)) {
    throw new ScannerError('AVF_ERR_SCANNER_UNKNOWN_TYPE', `unknown scanner type "${type}"; use one of: ${SCANNER_TYPES.join(', ')}`);
  }
  checkOptions(type, options);
  switch (type as ScannerTypeName) {
    case 'clamav':
      return new ClamavClient(options);
    default:
      throw new ScannerError(
        'AVF_ERR_SCANNER_NOT_IMPLEMENTED',
        `scanner type ${type} is not implemented yet; implemented: ${IMPLEMENTED_SCANNER_TYPES.join(', ')} (disable the rule or change its type)`,
      );
  }
}

function checkOptions(type: string, o: ScannerClientOptions): void {
  const problems: string[] = [];
  if (!(o.timeoutSec > 0)) problems.push(`timeoutSec must be > 0 (got ${o.timeoutSec})`);
  if (!(Number.isInteger(o.retransmits) && o.retransmits >= 0)) problems.push(`retransmits must be an integer ≥ 0 (got ${o.retransmits})`);
  if (o.servers.entries.length === 0) problems.push('servers has no entries ("no servers defined")');
  if (problems.length > 0) throw new ScannerError('AVF_ERR_SCANNER_OPTIONS', `cannot build a ${type} scanner: ${problems.join('; ')}`);
}
