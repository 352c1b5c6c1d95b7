import type { IcapOptions } from './clients/icap/icap-options';
import { HASH_SERVICE_TYPES, type HashCategoryName, type HashCategorySymbol, type HashServiceType } from './clients/shared/hash-category';

/** Every scanner type the antivirus module knows (scanners.md "Summary"): the one list. */
export const SCANNER_TYPES = ['clamav', 'fprot', 'sophos', 'savapi', 'kaspersky', 'kaspersky_se', 'avast', 'virustotal', 'metadefender', 'icap'] as const;
export type ScannerType = (typeof SCANNER_TYPES)[number];

export function isScannerType(value: string): value is ScannerType {
  return (SCANNER_TYPES as readonly string[]).includes(value);
}

/** virustotal and metadefender: a hash lookup in a web service (no servers, an apikey). */
export function isHashServiceType(type: ScannerType): type is HashServiceType {
  return (HASH_SERVICE_TYPES as readonly string[]).includes(type);
}

/** The same test on a rule's specific options, narrowing them to a hash service's. */
export function isHashService<S extends { readonly type: ScannerType }>(specific: S): specific is Extract<S, { readonly type: HashServiceType }> {
  return isHashServiceType(specific.type);
}

/** kaspersky, avast and savapi hand the daemon a temp file path. */
interface TempFileSpecific {
  /** Directory of the private temp files; the daemon must be able to read them. */
  readonly tmpdir: string;
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

/** The options only one scanner type has, by type, every one resolved (defaults filled). */
export interface SpecificFieldsByType<S extends HashCategorySymbol = HashCategorySymbol> {
  readonly clamav: Record<never, never>;
  readonly fprot: Record<never, never>;
  readonly sophos: Record<never, never>;
  /** Avira SAVAPI: the licence's product id is sent with `SET PRODUCT`. */
  readonly savapi: TempFileSpecific & { readonly productId: string };
  readonly kaspersky: TempFileSpecific;
  readonly avast: TempFileSpecific;
  readonly kaspersky_se: TempFileSpecific & {
    readonly useHttps: boolean;
    readonly useFiles: boolean;
    readonly keepalive: boolean;
    readonly authString: string | null;
  };
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
