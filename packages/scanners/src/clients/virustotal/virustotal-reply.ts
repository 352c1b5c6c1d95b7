import type { HttpResponse } from '../../transport/http-request';
import { clean, fail, type Verdict } from '../../verdict';
import { categoryFromCounts, categoryOrClean, jsonNumber, type HashThresholds } from '../shared/hash-category';
import { isObject, parseJsonReply } from '../shared/hash-lookup';

/** `GET <url>/report?apikey=<apikey>&resource=<md5>` (values not URL-encoded, as Rspamd). */
export function virustotalRequestUrl(baseUrl: string, apikey: string, md5: string): string {
  return `${baseUrl}/report?apikey=${apikey}&resource=${md5}`;
}

/**
 * VirusTotal v2 reply → verdict (docs/scanners.md "virustotal", current categories,
 * D15): 404 → CLEAN; 204 → rate limit (not cached); other non-200 →
 * `Bad HTTP code`; JSON `positives`/`total`/`response_code` → category.
 */
export function mapVirustotalReply(res: Pick<HttpResponse, 'status' | 'body'>, md5: string, t: HashThresholds): Verdict {
  if (res.status === 404) return clean();
  if (res.status === 204) return fail('rate limit exceeded', 'rate_limit', 1);
  if (res.status !== 200) return fail(`Bad HTTP code: ${res.status}`, 'error', 1);
  const parsed = parseJsonReply(res as HttpResponse);
  if (!parsed.ok) return parsed.verdict;
  const obj = isObject(parsed.value) ? parsed.value : {};
  const positives = jsonNumber(obj['positives']);
  if (positives === null) {
    if (jsonNumber(obj['response_code']) === 0) return categoryOrClean(t, 'clean', `${md5}:0`);
    return fail('Bad JSON reply: no `positives` element', 'error', 1);
  }
  return categoryFromCounts(t, md5, positives, jsonNumber(obj['total']) ?? 0);
}
