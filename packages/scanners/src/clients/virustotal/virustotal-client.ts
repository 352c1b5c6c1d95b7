import type { Scanner, ScanBody, ScanContext } from '../../scanner';
import type { Verdict } from '../../verdict';
import { HASH_SERVICE_URLS, type HashThresholds } from '../shared/hash-category';
import { resolveThresholds, runHashLookup, type HashLookupClientOptions } from '../shared/hash-lookup';
import { mapVirustotalReply, virustotalRequestUrl } from './virustotal-reply';

export type VirustotalClientOptions = HashLookupClientOptions;

/** VirusTotal v2 file report by MD5 (docs/scanners.md "virustotal"): only the hash leaves the host. */
export class VirustotalClient implements Scanner {
  readonly type = 'virustotal';
  readonly thresholds: HashThresholds;
  private readonly options: VirustotalClientOptions;
  private readonly url: string;

  constructor(options: VirustotalClientOptions) {
    this.options = options;
    this.url = (options.url ?? HASH_SERVICE_URLS.virustotal).replace(/\/+$/, '');
    this.thresholds = resolveThresholds(options, 'VIRUSTOTAL');
  }

  scan(body: ScanBody, ctx: ScanContext = {}): Promise<Verdict> {
    return runHashLookup(
      this.options,
      body,
      ctx,
      'md5',
      (md5) => ({ url: virustotalRequestUrl(this.url, this.options.apikey, md5) }),
      (res, md5) => mapVirustotalReply(res, md5, this.thresholds),
    );
  }

  async isReady(): Promise<boolean> {
    return true;
  }
}
