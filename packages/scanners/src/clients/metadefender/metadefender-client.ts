import type { Scanner, ScanBody, ScanContext } from '../../scanner';
import type { Verdict } from '../../verdict';
import { HASH_SERVICE_URLS, type HashThresholds } from '../shared/hash-category';
import { resolveThresholds, runHashLookup, type HashLookupClientOptions } from '../shared/hash-lookup';
import { mapMetadefenderReply } from './metadefender-reply';

export type MetadefenderClientOptions = HashLookupClientOptions;

/** OPSWAT MetaDefender Cloud v4 lookup by SHA-256 (docs/scanners.md "metadefender"): `GET <url>/<sha256>` with an `apikey` header. */
export class MetadefenderClient implements Scanner {
  readonly type = 'metadefender';
  readonly thresholds: HashThresholds;
  private readonly options: MetadefenderClientOptions;
  private readonly url: string;

  constructor(options: MetadefenderClientOptions) {
    this.options = options;
    this.url = (options.url ?? HASH_SERVICE_URLS.metadefender).replace(/\/+$/, '');
    this.thresholds = resolveThresholds(options, 'METADEFENDER');
  }

  scan(body: ScanBody, ctx: ScanContext = {}): Promise<Verdict> {
    return runHashLookup(
      this.options,
      body,
      ctx,
      'sha256',
      (sha256) => ({ url: `${this.url}/${sha256}`, headers: { apikey: this.options.apikey } }),
      (res, sha256) => mapMetadefenderReply(res, sha256, this.thresholds),
    );
  }

  async isReady(): Promise<boolean> {
    return true;
  }
}
