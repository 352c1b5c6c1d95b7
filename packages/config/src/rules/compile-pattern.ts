import { ConfigError } from '../errors';
import type { SourcePosition } from '../source-position';
import type { CompiledPattern } from './rule';
import { PcreTranslationError, translatePcre } from './translate-pcre';

/** Where a pattern comes from, for messages: `rule "clamav": patterns.JUST_EICAR`. */
export interface PatternContext {
  readonly rule: string;
  readonly key: string;
  readonly position: SourcePosition | null;
  /** Receives non-fatal remarks (unknown flag). */
  readonly warn?: (message: string) => void;
}

interface SplitPattern {
  readonly body: string;
  readonly flags: string;
  readonly wholeText: boolean;
  /** Offset of `body` in the source. */
  readonly bodyOffset: number;
}

const CLOSERS: Readonly<Record<string, string>> = { '{': '}', '(': ')', '[': ']', '<': '>' };
const PUNCT = /^[!-/:-@[-`{-~]$/;

function split(source: string): SplitPattern | null {
  if (source.startsWith('/')) {
    const last = source.lastIndexOf('/');
    if (last > 0) return { body: source.slice(1, last), flags: source.slice(last + 1), wholeText: false, bodyOffset: 1 };
    return { body: source, flags: '', wholeText: false, bodyOffset: 0 };
  }
  const open = source[1];
  if (source.startsWith('m') && open !== undefined && open !== '\\' && PUNCT.test(open)) {
    const close = CLOSERS[open] ?? open;
    const last = source.lastIndexOf(close);
    if (last <= 1) return null;
    return { body: source.slice(2, last), flags: source.slice(last + 1), wholeText: true, bodyOffset: 2 };
  }
  return { body: source, flags: '', wholeText: false, bodyOffset: 0 };
}

function where(ctx: PatternContext, name: string): string {
  return `rule "${ctx.rule}": ${ctx.key}.${name}`;
}

/** Map PCRE flags to JS flags; an unknown flag stops flag parsing with a warning (as Rspamd does). */
function mapFlags(flags: string, ctx: PatternContext, name: string): { js: string; extended: boolean } {
  let js = '';
  let extended = false;
  for (const f of flags) {
    if (f === 'i' || f === 'm' || f === 's') {
      if (!js.includes(f)) js += f;
    } else if (f === 'x') extended = true;
    else if (f === 'u' || f === 'r' || f === 'O' || f === 'L') {
      // u: PCRE UTF-8 mode; JS strings are already Unicode. r, O, L: irrelevant here.
    } else {
      ctx.warn?.(`${where(ctx, name)}: unknown regex flag '${f}' ignored with the flags after it`);
      break;
    }
  }
  return { js, extended };
}

/** Compile one pattern value; throws a ConfigError naming rule, key and offset when it cannot be expressed. */
export function compilePattern(name: string, source: string, ctx: PatternContext): CompiledPattern {
  const parts = split(source);
  if (!parts) {
    throw new ConfigError(
      'AVF_ERR_CONFIG_VALUE',
      `${where(ctx, name)}: regex ${JSON.stringify(source)} has no closing delimiter; close the m… form or drop the leading m`,
      ctx.position,
    );
  }
  const { js: flags, extended } = mapFlags(parts.flags, ctx, name);
  let translated: string;
  try {
    translated = translatePcre(parts.body, extended);
  } catch (e) {
    if (!(e instanceof PcreTranslationError)) throw e;
    throw new ConfigError(
      'AVF_ERR_CONFIG_VALUE',
      `${where(ctx, name)}: ${e.message} (at offset ${parts.bodyOffset + e.offset} of ${JSON.stringify(source)}); rewrite the regex`,
      ctx.position,
    );
  }
  try {
    return { name, source, regex: new RegExp(translated, flags), wholeText: parts.wholeText };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new ConfigError(
      'AVF_ERR_CONFIG_VALUE',
      `${where(ctx, name)}: invalid regex ${JSON.stringify(source)}: ${why}; remember that double-quoted strings drop backslashes (use single quotes)`,
      ctx.position,
    );
  }
}

/**
 * Rspamd's matching rule: searched, not anchored; an empty text never matches;
 * the `m{…}` form must cover the whole text with its first match.
 */
export function patternMatches(p: CompiledPattern, text: string): boolean {
  if (text === '') return false;
  // A `g`/`y` regex (built by hand; compilePattern makes none) carries state between calls: start afresh.
  p.regex.lastIndex = 0;
  const m = p.regex.exec(text);
  p.regex.lastIndex = 0;
  if (!m) return false;
  return !p.wholeText || (m.index === 0 && m[0].length === text.length);
}

/** First pattern that matches `text`, in configuration order. */
export function firstMatch(patterns: readonly CompiledPattern[], text: string): CompiledPattern | null {
  for (const p of patterns) if (patternMatches(p, text)) return p;
  return null;
}
