import { AvastClient } from './clients/avast/avast-client';
import { ClamavClient } from './clients/clamav/clamav-client';
import { FprotClient } from './clients/fprot/fprot-client';
import { icapSettings } from './clients/icap/icap-options';
import { IcapClient } from './clients/icap/icap-client';
import { KasperskyClient } from './clients/kaspersky/kaspersky-client';
import { KasperskySeClient } from './clients/kaspersky-se/kaspersky-se-client';
import { MetadefenderClient } from './clients/metadefender/metadefender-client';
import { SavapiClient } from './clients/savapi/savapi-client';
import { SophosClient } from './clients/sophos/sophos-client';
import { VirustotalClient } from './clients/virustotal/virustotal-client';
import { ScannerError } from './errors';
import type { Scanner } from './scanner';
import type { ScannerCommonOptions } from './scanner-options';
import { isHashService, isScannerType, SCANNER_TYPES, type ScannerSpecificOptions } from './scanner-types';

/**
 * Scanner type → client: the only registry. `common` holds what every client
 * takes (servers, timeout, retransmits, health, observer); `specific` a
 * rule's typed options of one type, and its `type` picks the client, which
 * receives exactly those options. Throws ScannerError
 * AVF_ERR_SCANNER_UNKNOWN_TYPE for a type it does not know (an untyped
 * caller), and AVF_ERR_SCANNER_OPTIONS for options no client can use.
 */
export function createScanner(common: ScannerCommonOptions, specific: ScannerSpecificOptions): Scanner {
  const type: string = specific.type;
  if (!isScannerType(type)) {
    throw new ScannerError('AVF_ERR_SCANNER_UNKNOWN_TYPE', `unknown scanner type "${type}"; use one of: ${SCANNER_TYPES.join(', ')}`);
  }
  checkOptions(common, specific);
  switch (specific.type) {
    case 'clamav':
      return new ClamavClient(common);
    case 'fprot':
      return new FprotClient(common);
    case 'sophos':
      return new SophosClient(common);
    case 'savapi':
      return new SavapiClient({ ...common, tmpdir: specific.tmpdir, productId: specific.productId });
    case 'kaspersky':
      return new KasperskyClient({ ...common, tmpdir: specific.tmpdir });
    case 'avast':
      return new AvastClient({ ...common, tmpdir: specific.tmpdir });
    case 'kaspersky_se': {
      const { tmpdir, useHttps, useFiles, keepalive, authString } = specific;
      return new KasperskySeClient({ ...common, tmpdir, useHttps, useFiles, keepalive, authString });
    }
    case 'virustotal':
    case 'metadefender': {
      const { apikey, url, minimumEngines, lowCategory, mediumCategory, symbols } = specific;
      const options = { ...common, apikey, url, minimumEngines, lowCategory, mediumCategory, symbols };
      return specific.type === 'virustotal' ? new VirustotalClient(options) : new MetadefenderClient(options);
    }
    case 'icap':
      return new IcapClient({ ...common, ...icapSettings(specific.options) });
  }
}

function checkOptions(o: ScannerCommonOptions, specific: ScannerSpecificOptions): void {
  const problems: string[] = [];
  if (!(o.timeoutSec > 0)) problems.push(`timeoutSec must be > 0 (got ${o.timeoutSec})`);
  if (!(Number.isInteger(o.retransmits) && o.retransmits >= 0)) problems.push(`retransmits must be an integer ≥ 0 (got ${o.retransmits})`);
  if (isHashService(specific)) {
    if (!specific.apikey) problems.push('apikey is required (the service\'s API key; set apikey in the rule)');
  } else if (o.servers.entries.length === 0) problems.push('servers has no entries ("no servers defined")');
  if ((specific.type === 'savapi' || specific.type === 'kaspersky' || specific.type === 'avast') && !specific.tmpdir) {
    problems.push('tmpdir is required (the directory for temp files the scanner reads; default /tmp)');
  }
  if (specific.type === 'savapi' && !(typeof specific.productId === 'string' && /^\S+$/.test(specific.productId))) problems.push(`productId is required and must be one word (the licence's product id; got ${JSON.stringify(specific.productId)})`);
  if (problems.length > 0) throw new ScannerError('AVF_ERR_SCANNER_OPTIONS', `cannot build a ${specific.type} scanner: ${problems.join('; ')}`);
}
