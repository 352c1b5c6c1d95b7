import type { Rule, VerdictTrigger } from '@avfleet/config';
import type { Verdict } from '@avfleet/scanners';
import type { PreResult, Whitelist } from './aggregate-types';
import { matchPattern } from './match-patterns';
import { messageVars, renderMessage } from './render-message';

/**
 * One verdict of one rule → symbol insertions and, maybe, a forced action
 * (docs/semantics.md §7.1–§7.4, §8).
 */

export interface SymbolInsertion {
  readonly symbol: string;
  readonly weight: number;
  readonly option: string;
}

export interface VerdictApplication {
  readonly insertions: readonly SymbolInsertion[];
  /** The rule's `action` forced by this verdict, or null. */
  readonly preResult: PreResult | null;
  /** A virus/encrypted/macro verdict with at least one non-whitelisted text. */
  readonly hit: boolean;
  /** A fail verdict that inserted a symbol (its texts, for `fail_message`). */
  readonly failTexts: readonly string[];
}

/** `Rejected` when the rule has no message template. */
export const DEFAULT_ACTION_MESSAGE = 'Rejected';

const NOTHING: VerdictApplication = { insertions: [], preResult: null, hit: false, failTexts: [] };

export function verdictToSymbols(
  rule: Rule,
  verdict: Verdict,
  filename: string | null,
  whitelist: Whitelist | undefined,
): VerdictApplication {
  switch (verdict.kind) {
    case 'clean':
      return NOTHING;
    case 'category':
      // Hash-service categories bypass patterns, whitelist and action.
      return { ...NOTHING, insertions: [{ symbol: verdict.symbol, weight: 1, option: verdict.option }] };
    case 'fail':
      if (verdict.weight !== undefined) {
        // "Inserted directly" fails (docs/scanners.md): no patterns, whitelist or file name.
        const insertion = { symbol: rule.symbolFail, weight: verdict.weight, option: verdict.text };
        return { ...NOTHING, insertions: [insertion], failTexts: [verdict.text] };
      }
      return applyTexts(rule, [verdict.text], rule.symbolFail, 0, rule.patternsFail, filename, whitelist, null);
    case 'virus':
      return applyTexts(rule, verdict.names, rule.symbol, verdict.weight ?? 1, rule.patterns, filename, whitelist, 'virus');
    case 'encrypted':
      return applyTexts(rule, [verdict.text], rule.symbolEncrypted, 1, rule.patterns, filename, whitelist, 'encrypted');
    case 'macro':
      return applyTexts(rule, [verdict.text], rule.symbolMacro, 1, rule.patterns, filename, whitelist, 'macro');
  }
}

function applyTexts(
  rule: Rule,
  texts: readonly string[],
  baseSymbol: string,
  baseWeight: number,
  patterns: Rule['patterns'],
  filename: string | null,
  whitelist: Whitelist | undefined,
  trigger: VerdictTrigger | null,
): VerdictApplication {
  const insertions: SymbolInsertion[] = [];
  const suffix = attachmentSuffix(rule, filename);
  for (const text of texts) {
    const patternSymbol = matchPattern(patterns, text);
    if (whitelist?.hasName(text) === true) continue;
    insertions.push({
      symbol: patternSymbol ?? baseSymbol,
      weight: patternSymbol === null ? baseWeight : 1,
      option: text + suffix,
    });
  }
  if (trigger === null) {
    return { ...NOTHING, insertions, failTexts: insertions.length > 0 ? texts : [] };
  }
  const hit = insertions.length > 0;
  let preResult: PreResult | null = null;
  if (hit && rule.action !== null && rule.actionOn.includes(trigger)) {
    const template = rule.message === '' ? DEFAULT_ACTION_MESSAGE : rule.message;
    preResult = {
      action: rule.action,
      // ${VIRUS} lists every text, whitelisted ones included (docs/semantics.md §8).
      message: renderMessage(template, messageVars(rule.name, texts)),
      module: rule.name,
      least: rule.action !== 'reject',
    };
  }
  return { insertions, preResult, hit, failTexts: [] };
}

/** `|<file name>` under `show_attachments` (docs/semantics.md §7.4), else empty. */
function attachmentSuffix(rule: Rule, filename: string | null): string {
  if (!rule.showAttachments || filename === null || filename === '') return '';
  // Whole-message mode never adds a name; SAVAPI never gets the part.
  if (!rule.scanMimeParts || rule.type === 'savapi') return '';
  return `|${filename}`;
}
