import type { Rule } from '@avfleet/config';
import type { IpWhitelist } from '../aggregate/load-whitelists';
import type { MimeError } from '../mime/mime-error';
import type { RequestMeta } from '../contracts/request-meta';
import type { ScanJobResult } from '../contracts/scan-job-data';
import { fail } from '@avfleet/scanners';
import { ipWhitelisted } from './plan-scan';

/**
 * A message that cannot be split within the MIME limits (too deep, too many
 * parts, a header block too large): every rule that would have run gets a fail
 * verdict with reason `limits` (its fail symbol, its fail_action); rules skipped
 * by their IP whitelist stay skipped.
 */
export function unsplittableVerdicts(
  rules: readonly Rule[], meta: RequestMeta, ipWhitelists: ReadonlyMap<string, IpWhitelist>, err: MimeError,
): { preResolved: ScanJobResult[]; skipped: Record<string, string> } {
  const skipped: Record<string, string> = {};
  const preResolved: ScanJobResult[] = [];
  for (const rule of rules) {
    if (ipWhitelisted(rule, meta, ipWhitelists)) {
      skipped[rule.name] = 'whitelist_ip';
      continue;
    }
    preResolved.push({ rule: rule.name, partIndex: null, verdict: fail(`message not scanned: ${err.message}`, 'limits'), cached: false, ms: 0 });
  }
  return { preResolved, skipped };
}
