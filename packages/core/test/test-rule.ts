import type { CompiledPattern, Rule } from '@avfleet/config';
import { isHashServiceType } from '@avfleet/scanners';
import type { Whitelist } from '../src/aggregate/aggregate-types';

/**
 * Test helpers (exported for other packages' tests): a fully resolved Rule
 * with the defaults of docs/semantics.md §1–§2 for a ClamAV rule, overridable.
 * Symbol names derive from `symbol` (default: the upper-cased name). A `type`
 * other than clamav comes with its `specific` options (they must agree), and a
 * hash service with `servers: null`.
 */
export function testRule(overrides: Partial<Rule> = {}): Rule {
  const name = overrides.name ?? 'clamav';
  const symbol = overrides.symbol ?? name.toUpperCase();
  const base: { -readonly [K in keyof Rule]: Rule[K] } = {
    name,
    type: 'clamav',
    symbol,
    symbolFail: `${symbol}_FAIL`,
    symbolEncrypted: `${symbol}_ENCRYPTED`,
    symbolMacro: `${symbol}_MACRO`,
    servers: { strategy: 'round-robin', explicitStrategy: false, entries: [{ kind: 'tcp', host: '127.0.0.1', port: 3310, priority: 0 }] },
    defaultPort: 3310,
    timeout: 5,
    retransmits: 2,
    scanMimeParts: true,
    scanTextMime: false,
    scanImageMime: false,
    filters: null,
    textPartMinWords: null,
    maxSize: null,
    minSize: null,
    dynamicScan: false,
    eicarFakePattern: null,
    patterns: [],
    patternsFail: [],
    whitelist: null,
    logClean: false,
    showAttachments: false,
    action: null,
    actionOn: ['virus', 'encrypted', 'macro'],
    message: '${SCANNER}: virus found: "${VIRUS}"',
    failAction: null,
    failMessage: null,
    archiveLimitsFail: false,
    prefix: `rs_${name}_`,
    cacheExpire: 3600,
    noCache: false,
    symbolType: 'normal',
    score: null,
    description: 'antivirus symbol',
    group: 'antivirus',
    defaultScore: 1,
    rateLimit: null,
    specific: { type: 'clamav' },
    source: null,
    section: 'antivirus',
    maxScanTime: 15,
  };
  if (overrides.maxScanTime === undefined && (overrides.timeout !== undefined || overrides.retransmits !== undefined)) {
    base.maxScanTime = (overrides.timeout ?? base.timeout) * (1 + (overrides.retransmits ?? base.retransmits));
  }
  const rule = { ...base, ...overrides };
  if (rule.specific.type !== rule.type) {
    throw new Error(`testRule: type ${rule.type} with specific options of ${rule.specific.type}; pass specific: { type: '${rule.type}', … }`);
  }
  if ((rule.servers === null) !== isHashServiceType(rule.type)) {
    throw new Error(`testRule: a ${rule.type} rule ${rule.servers === null ? 'needs' : 'has no'} servers`);
  }
  return rule as Rule;
}

/**
 * `patterns` as written in the configuration: a map, or a list of maps; order
 * kept. Values are JavaScript regex sources; `m{…}` gives a whole-text entry.
 */
export function testPatterns(spec: Record<string, string> | ReadonlyArray<Record<string, string>>): CompiledPattern[] {
  const maps = Array.isArray(spec) ? spec : [spec];
  const out: CompiledPattern[] = [];
  for (const map of maps as ReadonlyArray<Record<string, string>>) {
    for (const [name, source] of Object.entries(map)) {
      const whole = /^m\{(.*)\}$/s.exec(source);
      out.push({ name, source, regex: new RegExp(whole ? (whole[1] as string) : source), wholeText: whole !== null });
    }
  }
  return out;
}

/** A case-insensitive name whitelist. */
export function testWhitelist(names: readonly string[]): Whitelist {
  const set = new Set(names.map((n) => n.toLowerCase()));
  return { hasName: (text) => set.has(text.toLowerCase()) };
}
