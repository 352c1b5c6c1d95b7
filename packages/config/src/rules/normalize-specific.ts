import {
  DEFAULT_TMPDIR,
  HASH_CATEGORY_NAMES,
  HASH_DEFAULT_THRESHOLDS,
  HASH_SERVICE_URLS,
  ICAP_DEFAULTS,
  KASPERSKY_SE_DEFAULTS,
  type HashCategoryName,
  type HashServiceType,
  type IcapOptions,
  type ScannerType,
  type SpecificOptionsOf,
} from '@avfleet/scanners';
import type { CategorySymbol, RuleSpecificOptions } from './rule';
import type { OptionReader } from './option-reader';
import { DEFAULT_SAVAPI_PRODUCT_ID, HASH_CATEGORY_DEFAULTS } from './scanner-defaults';
import { isTreeObject, positionOf } from './ucl-view';

/** Per-type options of one rule (docs/scanners.md), defaults filled. */
export function normalizeSpecific(type: ScannerType, r: OptionReader): RuleSpecificOptions {
  switch (type) {
    case 'clamav':
    case 'fprot':
    case 'sophos':
      return { type };
    case 'savapi':
      return {
        type,
        productId: r.str('product_id') ?? DEFAULT_SAVAPI_PRODUCT_ID,
        tmpdir: r.str('tmpdir') ?? DEFAULT_TMPDIR,
      };
    case 'kaspersky':
    case 'avast':
      return { type, tmpdir: r.str('tmpdir') ?? DEFAULT_TMPDIR };
    case 'kaspersky_se':
      return {
        type,
        tmpdir: r.str('tmpdir') ?? DEFAULT_TMPDIR,
        useHttps: r.bool('use_https') ?? KASPERSKY_SE_DEFAULTS.useHttps,
        useFiles: r.bool('use_files') ?? KASPERSKY_SE_DEFAULTS.useFiles,
        keepalive: r.bool('keepalive') ?? KASPERSKY_SE_DEFAULTS.keepalive,
        authString: r.str('auth_string') ?? KASPERSKY_SE_DEFAULTS.authString,
      };
    case 'virustotal':
    case 'metadefender':
      return hashSpecific(type, r);
    case 'icap':
      return { type, options: icapOptions(r) };
  }
}

function hashSpecific(type: HashServiceType, r: OptionReader): SpecificOptionsOf<HashServiceType, CategorySymbol> {
  const minimumEngines = r.num('minimum_engines', { min: 0 }) ?? HASH_DEFAULT_THRESHOLDS.minimumEngines;
  const lowCategory = r.num('low_category', { min: 0 }) ?? HASH_DEFAULT_THRESHOLDS.lowCategory;
  const mediumCategory = r.num('medium_category', { min: 0 }) ?? HASH_DEFAULT_THRESHOLDS.mediumCategory;
  if (!(minimumEngines <= lowCategory && lowCategory <= mediumCategory)) {
    r.diag.warn(
      'AVF_WARN_OTHER',
      `rule "${r.rule}": expected minimum_engines (${minimumEngines}) ≤ low_category (${lowCategory}) ≤ medium_category (${mediumCategory}); some categories can never be reached`,
      r.position('low_category'),
    );
  }
  return {
    type,
    apikey: r.str('apikey') ?? '',
    url: (r.str('url') ?? HASH_SERVICE_URLS[type]).replace(/\/+$/, ''),
    minimumEngines,
    lowCategory,
    mediumCategory,
    symbols: categorySymbols(type, r),
  };
}

/** The user's `symbols` table merged over the defaults key by key; `<category> = false` disables it. */
function categorySymbols(type: HashServiceType, r: OptionReader): Record<HashCategoryName, CategorySymbol> {
  const out: Record<HashCategoryName, CategorySymbol> = { ...HASH_CATEGORY_DEFAULTS[type] };
  const raw = r.raw('symbols');
  if (raw === undefined) return out;
  if (!isTreeObject(raw)) {
    r.error('symbols', 'option symbols must be a block { clean { … } low { … } medium { … } high { … } }');
    return out;
  }
  for (const [cat, v] of Object.entries(raw)) {
    const pos = positionOf(r.pos, raw, cat);
    if (!(HASH_CATEGORY_NAMES as readonly string[]).includes(cat)) {
      r.diag.warn('AVF_WARN_UNKNOWN_KEY', `rule "${r.rule}": unknown category symbols.${cat} ignored (known: ${HASH_CATEGORY_NAMES.join(', ')})`, pos);
      continue;
    }
    const name = cat as HashCategoryName;
    const base = out[name];
    if (v === false) {
      out[name] = { ...base, enabled: false };
      continue;
    }
    if (!isTreeObject(v)) {
      r.diag.error('AVF_ERR_CONFIG_VALUE', `rule "${r.rule}": symbols.${cat} must be a block { symbol = …; score = …; } or false`, pos);
      continue;
    }
    const symbol = v['symbol'];
    const score = v['score'];
    const description = v['description'];
    const group = v['group'];
    if (symbol !== undefined && typeof symbol !== 'string') r.diag.error('AVF_ERR_CONFIG_VALUE', `rule "${r.rule}": symbols.${cat}.symbol must be a string`, pos);
    if (score !== undefined && typeof score !== 'number') r.diag.error('AVF_ERR_CONFIG_VALUE', `rule "${r.rule}": symbols.${cat}.score must be a number`, pos);
    for (const k of Object.keys(v)) {
      if (!['symbol', 'score', 'description', 'group'].includes(k)) {
        r.diag.warn('AVF_WARN_UNKNOWN_KEY', `rule "${r.rule}": unknown key symbols.${cat}.${k} ignored`, positionOf(r.pos, v, k));
      }
    }
    out[name] = {
      symbol: typeof symbol === 'string' ? symbol : base.symbol,
      score: typeof score === 'number' ? score : base.score,
      description: typeof description === 'string' ? description : base.description,
      group: typeof group === 'string' ? group : base.group,
      enabled: true,
    };
  }
  return out;
}

function icapOptions(r: OptionReader): IcapOptions {
  const out: Record<string, string | boolean> = {};
  for (const [k, def] of Object.entries(ICAP_DEFAULTS)) {
    const v = typeof def === 'boolean' ? r.bool(k) : r.str(k);
    out[k] = v ?? def;
  }
  return out as unknown as IcapOptions;
}
