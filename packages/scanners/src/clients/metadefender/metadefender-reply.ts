import type { HttpResponse } from '../../transport/http-request';
import { clean, fail, type Verdict } from '../../verdict';
import { categoryFromCounts, jsonNumber, type HashThresholds } from '../shared/hash-category';
import { isObject, parseJsonReply } from '../shared/hash-lookup';

/**
 * MetaDefender Cloud v4 hash reply → verdict (docs/scanners.md "metadefender"):
 * 404 → CLEAN; 429 → rate limit (not cached); other non-200 → `Bad HTTP code`;
 * `scan_results.total_detected_avs` / `total_avs` → category.
 */
export function mapMetadefenderReply(res: Pick<HttpResponse, 'status' | 'body'>, sha256: string, t: HashThresholds): Verdict {
  if (res.status === 404) return clean();
  if (res.status === 429) return fail('rate limit exceeded', 'rate_limit', 1);
  if (res.status !== 200) return fail(`Bad HTTP code: ${res.status}`, 'error', 1);
  const parsed = parseJsonReply(res as HttpResponse);
  if (!parsed.ok) return parsed.verdict;
  const results = isObject(parsed.value) ? parsed.value['scan_results'] : undefined;
  if (!isObject(results)) return fail('Bad JSON reply: no scan_results', 'error', 1);
  const detected = jsonNumber(results['total_detected_avs']) ?? 0;
  const total = jsonNumber(results['total_avs']) ?? 0;
  return categoryFromCounts(t, sha256, detected, total);
}
