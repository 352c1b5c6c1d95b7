import type { IcapOptions } from './clients/icap/icap-options';
import type { KasperskySeClientOptions } from './clients/kaspersky-se/kaspersky-se-client';
import { HASH_SERVICE_TYPES, type HashCategoryName, type HashCategorySymbol, type HashServiceType } from './clients/shared/hash-category';
import type { SavapiScannerOptions, TempFileScannerOptions } from './scanner-options';

/** Every scanner type the antivirus module knows (docs/scanners.md "Summary"): the one list. */
export const SCANNER_TYPES = ['clamav', 'fprot', 'sophos', 'savapi', 'kaspersky', 'kaspersky_se', 'avast', 'virustotal', 'metadefender', 'icap'] as const;
export type ScannerType = (typeof SCANNER_TYPES)[number];

export function isScannerType(value: string): value is ScannerType {
  return (SCANNER_TYPES as readonly string[]).includes(value);
}

/**
 * The types whose protocol sends facts of the message's envelope (ScanContext): F-Prot its
 * queue id, Kaspersky SE the client IP and the sender, ICAP the client IP, the sender, the
 * first recipient and the queue id. The others send the body alone, so a part job for them
 * carries no envelope (D63).
 */
const ENVELOPE_SCANNER_TYPES: readonly ScannerType[] = ['fprot', 'kaspersky_se', 'icap'];

export function sendsEnvelope(type: ScannerType): boolean {
  return ENVELOPE_SCANNER_TYPES.includes(type);
}

/** virustotal and metadefender: a hash lookup in a web service (no servers, an apikey). */
export function isHashServiceType(type: ScannerType): type is HashServiceType {
  return (HASH_SERVICE_TYPES as readonly string[]).includes(type);
}

/** The same test on a rule's specific options, narrowing them to a hash service's. */
export function isHashService<S extends { readonly type: ScannerType }>(specific: S): specific is Extract<S, { readonly type: HashServiceType }> {
  return isHashServiceType(specific.type);
}

/** virustotal and metadefender; `S` is what a category symbol carries (config adds score, description, group). */
export interface HashServiceSpecific<S extends HashCategorySymbol = HashCategorySymbol> {
  readonly apikey: string;
  /** Base URL of the service's API (default HASH_SERVICE_URLS). */
  readonly url: string;
  readonly minimumEngines: number;
  readonly lowCategory: number;
  readonly mediumCategory: number;
  /** category → symbol settings, merged over the type's defaults. */
  readonly symbols: Readonly<Record<HashCategoryName, S>>;
}

/** The options only one scanner type has, by type, every one resolved (defaults filled): a part of what its client takes. */
export interface SpecificFieldsByType<S extends HashCategorySymbol = HashCategorySymbol> {
  readonly clamav: Record<never, never>;
  readonly fprot: Record<never, never>;
  readonly sophos: Record<never, never>;
  readonly savapi: Pick<SavapiScannerOptions, 'tmpdir' | 'productId'>;
  readonly kaspersky: Pick<TempFileScannerOptions, 'tmpdir'>;
  readonly avast: Pick<TempFileScannerOptions, 'tmpdir'>;
  readonly kaspersky_se: Required<Pick<KasperskySeClientOptions, 'tmpdir' | 'useHttps' | 'useFiles' | 'keepalive' | 'authString'>>;
  readonly virustotal: HashServiceSpecific<S>;
  readonly metadefender: HashServiceSpecific<S>;
  readonly icap: { readonly options: IcapOptions };
}

/**
 * A rule's type-specific options, keyed by `type`: config's `Rule.specific`
 * is one of these and createScanner hands each client its own, so a wrong
 * combination (a tmpdir for clamav, an apikey for icap) does not compile.
 */
export type ScannerSpecificOptions<S extends HashCategorySymbol = HashCategorySymbol> = {
  [T in ScannerType]: { readonly type: T } & SpecificFieldsByType<S>[T];
}[ScannerType];

/** The specific options of one type. */
export type SpecificOptionsOf<T extends ScannerType, S extends HashCategorySymbol = HashCategorySymbol> = Extract<ScannerSpecificOptions<S>, { readonly type: T }>;
