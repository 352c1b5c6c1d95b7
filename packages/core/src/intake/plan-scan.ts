import type { Rule } from '@avfleet/config';
import { selectBodies, type SelectedBody } from '../mime/select-parts';
import type { SplitMessage } from '../mime/mime-part';
import type { RequestMeta } from '../contracts/request-meta';
import type { IpWhitelist } from '../aggregate/load-whitelists';

/** One body a rule wants verdicts for. `gated` bodies only take a cached verdict (docs/semantics.md §4: cache first, then gates). */
export interface PlannedBody {
  readonly rule: Rule;
  readonly body: SelectedBody;
  /** The bytes the cache key and the store use (the part's own content even when the scanner gets EICAR). */
  readonly original: Buffer;
  /** Length of `original`, known without decoding it. */
  readonly originalSize: number;
  readonly gated: boolean;
}

export interface ScanPlan {
  readonly bodies: readonly PlannedBody[];
  /** rule → reason, for rules that run on nothing unless a gated body turns out to be cached. */
  readonly skipped: Readonly<Record<string, string>>;
}

/** The client IP (the `IP` header) is on the rule's `whitelist`: the rule is skipped (`whitelist_ip`). */
export function ipWhitelisted(rule: Rule, meta: RequestMeta, ipWhitelists: ReadonlyMap<string, IpWhitelist>): boolean {
  return !!meta.ip && ipWhitelists.get(rule.name)?.containsIp(meta.ip) === true;
}

/** Which bodies every rule scans, before any I/O: whitelisted client IPs, part selection, gates. */
export function planScan(
  rules: readonly Rule[], message: SplitMessage, raw: Buffer, meta: RequestMeta,
  ipWhitelists: ReadonlyMap<string, IpWhitelist>, rejectThreshold: number,
): ScanPlan {
  const bodies: PlannedBody[] = [];
  const skipped: Record<string, string> = {};
  for (const rule of rules) {
    if (ipWhitelisted(rule, meta, ipWhitelists)) {
      skipped[rule.name] = 'whitelist_ip';
      continue;
    }
    const sel = selectBodies(rule, message, { score: meta.score ?? undefined, rejectThreshold }, raw);
    for (const b of sel.bodies) bodies.push(planned(rule, b, message, false));
    for (const g of sel.gated) bodies.push(planned(rule, g.body, message, true));
    if (sel.bodies.length === 0) skipped[rule.name] = sel.skipped ?? 'no_parts';
  }
  return { bodies, skipped };
}

/** `original` is read only when the body is stored or keyed by content (a cached part is never decoded). */
function planned(rule: Rule, body: SelectedBody, message: SplitMessage, gated: boolean): PlannedBody {
  const part = body.fakeEicar ? message.parts.find((p) => p.index === body.partIndex) : undefined;
  if (body.fakeEicar && !part) throw new Error(`selected part ${body.partIndex} is missing from the split message`);
  return {
    rule,
    body,
    get original(): Buffer {
      return part ? part.content : body.content;
    },
    originalSize: part ? part.size : body.size,
    gated,
  };
}
