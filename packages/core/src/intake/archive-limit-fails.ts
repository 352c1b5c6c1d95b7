import type { Rule } from '@avfleet/config';
import { fail } from '@avfleet/scanners';
import type { ScanJobResult } from '../contracts/scan-job-data';
import { boundName } from '../contracts/field-bounds';
import type { ArchiveLimitName } from '../mime/archive-listing';
import type { SplitMessage } from '../mime/mime-part';
import type { SelectedBody } from '../mime/select-parts';

/** `archive limit exceeded: <limit> in <file name>` (`part <index>` for a part without a file name); the name cut like a part summary's. */
export function archiveLimitFailText(limit: ArchiveLimitName, filename: string | null, partIndex: string): string {
  return `archive limit exceeded: ${limit} in ${filename !== null && filename !== '' ? boundName(filename) : `part ${partIndex}`}`;
}

/**
 * `archive_limits_fail` (D51): for a rule that sets it, every body it sends to
 * its scanner whose archive listing was cut short by a limit (depth, members,
 * bytes, ratio — not mere corruption) gets a fail verdict with reason
 * `limits`, in addition to the scanner's own verdict. Whole-message bodies
 * never do (no part is selected). Pure; empty when the option is off.
 */
export function archiveLimitFails(
  rule: Pick<Rule, 'name' | 'archiveLimitsFail'>,
  message: SplitMessage,
  bodies: readonly Pick<SelectedBody, 'partIndex'>[],
): ScanJobResult[] {
  if (!rule.archiveLimitsFail) return [];
  const out: ScanJobResult[] = [];
  const seen = new Set<string>();
  for (const body of bodies) {
    if (body.partIndex === null || seen.has(body.partIndex)) continue;
    seen.add(body.partIndex);
    const part = message.parts.find((p) => p.index === body.partIndex);
    if (!part || part.archiveLimit === null) continue;
    const verdict = fail(archiveLimitFailText(part.archiveLimit, part.filename, part.index), 'limits');
    out.push({ rule: rule.name, partIndex: part.index, verdict, cached: false, ms: 0 });
  }
  return out;
}
