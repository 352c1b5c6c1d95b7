import type { HashCategorySymbol, HashServiceType, ScannerSpecificOptions, ScannerType, ServerList, SpecificOptionsOf } from '@avfleet/scanners';
import type { SourcePosition } from '../source-position';

/** Rspamd's action names (spellings with `_` and `accept` are normalised at load time). */
export const ACTION_NAMES = ['no action', 'greylist', 'add header', 'rewrite subject', 'soft reject', 'reject'] as const;
export type ActionName = (typeof ACTION_NAMES)[number];

/** One compiled entry of `patterns`, `patterns_fail` or `mime_parts_filter_regex`, in configuration order. */
export interface CompiledPattern {
  /** Symbol name (patterns) or label (filters). */
  readonly name: string;
  /** The regex as written in the configuration (after UCL unescaping). */
  readonly source: string;
  readonly regex: RegExp;
  /** `m{…}` form: the match must cover the whole text. */
  readonly wholeText: boolean;
}

export type VerdictTrigger = 'virus' | 'encrypted' | 'macro';

/** Per-type options that only some scanners have: the scanners' own, with the hash services' category symbols carrying their score. */
export type RuleSpecificOptions = ScannerSpecificOptions<CategorySymbol>;

/** A hash service's category symbol as the client uses it, with what Rspamd registers for it. */
export interface CategorySymbol extends HashCategorySymbol {
  readonly score: number;
  readonly description: string;
  readonly group: string;
}

export interface RateLimit {
  readonly max: number;
  readonly durationMs: number;
}

/** What every rule has, whatever its scanner type. */
export interface RuleCommon {
  /** Block name: `${SCANNER}`, queue name, default prefix. */
  readonly name: string;
  readonly symbol: string;
  readonly symbolFail: string;
  readonly symbolEncrypted: string;
  readonly symbolMacro: string;
  readonly defaultPort: number;
  /** Seconds, per attempt. */
  readonly timeout: number;
  /** Extra attempts after the first. */
  readonly retransmits: number;
  readonly scanMimeParts: boolean;
  readonly scanTextMime: boolean;
  readonly scanImageMime: boolean;
  /** null when neither filter option is present; `{regex:[],ext:[]}` when present but empty. */
  readonly filters: { readonly regex: readonly CompiledPattern[]; readonly ext: readonly string[] } | null;
  readonly textPartMinWords: number | null;
  readonly maxSize: number | null;
  readonly minSize: number | null;
  readonly dynamicScan: boolean;
  readonly eicarFakePattern: string | null;
  readonly patterns: readonly CompiledPattern[];
  readonly patternsFail: readonly CompiledPattern[];
  /** Map location of the whitelist (path or URL), or null. */
  readonly whitelist: string | null;
  readonly logClean: boolean;
  readonly showAttachments: boolean;
  /** Forced action on a hit, or null (`false`/absent). */
  readonly action: ActionName | null;
  /** Which verdicts trigger `action` (default all three). */
  readonly actionOn: readonly VerdictTrigger[];
  /** Message template (`${SCANNER}`, `${VIRUS}`). */
  readonly message: string;
  /** avfleet addition: action when the rule ends in FAIL and nothing else hit. */
  readonly failAction: ActionName | null;
  readonly failMessage: string | null;
  /** avfleet addition (`archive_limits_fail`): a selected part whose archive listing hit a limit gets a fail verdict naming the limit. */
  readonly archiveLimitsFail: boolean;
  /** Redis key prefix, verbatim. */
  readonly prefix: string;
  /** Seconds (integer). */
  readonly cacheExpire: number;
  readonly noCache: boolean;
  readonly symbolType: 'normal' | 'postfilter';
  /** Score of the main symbol, or null (0). */
  readonly score: number | null;
  readonly description: string;
  readonly group: string;
  readonly defaultScore: number;
  /** avfleet addition: scans per period across the fleet. */
  readonly rateLimit: RateLimit | null;
  /** Where the rule's block starts. */
  readonly source: SourcePosition | null;
  /** Configuration section the rule came from (`external_services` for ICAP rules of the directory layout). */
  readonly section: 'antivirus' | 'external_services';
  /** Upper bound of one scan: `timeout × (1 + retransmits)` seconds (docs/semantics.md §9, D44). */
  readonly maxScanTime: number;
}

/** A rule of one scanner type: `type`, `servers` and `specific` cannot disagree. */
export type RuleOf<T extends ScannerType> = T extends ScannerType
  ? RuleCommon & {
      readonly type: T;
      /** The parsed `servers`: every rule has them but the hash services, which have none. */
      readonly servers: T extends HashServiceType ? null : ServerList;
      readonly specific: SpecificOptionsOf<T, CategorySymbol>;
    }
  : never;

/**
 * The typed, validated rule model built from the parsed `antivirus` section
 * (docs/semantics.md §1–§2, docs/scanners.md summary). Every field is resolved: defaults
 * are filled, sizes and timeouts are plain numbers, regexes are compiled.
 * Scanner types, server lists and the per-type options are @avfleet/scanners'
 * vocabulary: a rule's `specific` is what its client takes. A rule of any type.
 */
export type Rule = RuleOf<ScannerType>;
