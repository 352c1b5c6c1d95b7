import type { IcapBlock } from './icap-block';

/** Result of the threat cascade on one header block. */
export type IcapThreatResult = { readonly kind: 'fail'; readonly text: string } | { readonly kind: 'threats'; readonly names: readonly string[] } | null;

/** Trailing `;` optional (D24): Symantec sends both forms. */
const INFECTION_RE = /Type=(.*?); Resolution=(.*?); Threat=(.*?);?\s*$/;

/** "(split)": with a comma, delete all whitespace and split on commas (empty items kept); else the value unchanged. */
export function splitThreats(value: string): string[] {
  return value.includes(',') ? value.replace(/\s/g, '').split(',') : [value];
}

/**
 * The threat cascade (docs/scanners.md "icap", Step 3): the first branch that
 * applies decides. `block.httpStatus` feeds rules 8–9 (set only for the
 * encapsulated HTTP response header block). Returns null when no threat.
 */
export function icapThreatCascade(block: IcapBlock, useHttp3xxAsThreat: boolean): IcapThreatResult {
  const h = block.headers;
  const infection = h.get('x-infection-found');
  if (infection !== undefined) {
    const m = INFECTION_RE.exec(infection);
    if (m && m[1] === '2') return { kind: 'fail', text: m[3]! };
    if (m) return { kind: 'threats', names: [m[3]!] };
    const virusName = h.get('x-virus-name');
    return { kind: 'threats', names: splitThreats(virusName ?? infection) };
  }
  const virusName = h.get('x-virus-name');
  if (virusName !== undefined && virusName !== 'no threats') return { kind: 'threats', names: splitThreats(virusName) };
  const virusId = h.get('x-virus-id');
  if (virusId !== undefined && virusId !== 'no threats') return { kind: 'threats', names: splitThreats(virusId) };
  const fsecure = h.get('x-fsecure-scan-result');
  if (fsecure !== undefined && fsecure !== 'clean') {
    const name = h.get('x-fsecure-infection-name');
    return { kind: 'threats', names: splitThreats(name === undefined ? '-unknown-' : name.replace(/[\s"]/g, '')) };
  }
  for (const header of ['x-mwg-block-reason', 'x-blocked', 'x-block-reason']) {
    const v = h.get(header);
    if (v !== undefined && v !== '') return { kind: 'threats', names: [v] };
  }
  const status = block.httpStatus;
  if (status !== null) {
    const rest = status.replace(/^HTTP\/\S+ /, '');
    if (/^HTTP\/[12]\.. 4\d\d/.test(status)) return { kind: 'threats', names: [`pseudo-virus (blocked): ${rest}`] };
    if (useHttp3xxAsThreat && /^HTTP\/[12]\.. 3\d\d/.test(status)) return { kind: 'threats', names: [`pseudo-virus (redirect): ${rest}`] };
  }
  return null;
}
