import type { Rule } from '@avfleet/config';
import { isHashServiceType, type Verdict } from '@avfleet/scanners';
import { formatLuaNumber } from './lua-number';

/**
 * The cached value format, shared with Rspamd (docs/semantics.md §6.3–§6.4):
 *
 *     <result> TAB <weight> [ TAB <file name> ]
 *
 * `<result>` is `OK`, `ENCRYPTED`, `MACRO`, the virus names joined with `\v`,
 * or (hash services) `<symbol>\v<option>`. Numbers are printed the way Lua
 * prints them. `fail` verdicts are never cached.
 */

/** The two texts Rspamd gives cached encrypted/macro results (kept for compatibility). */
export const CACHED_ENCRYPTED_TEXT = 'File is encrypted';
export const CACHED_MACRO_TEXT = 'File contains macros';

const NAME_SEPARATOR = '\v';
const FIELD_SEPARATOR = '\t';

export interface EncodeOptions {
  /** Weight written for a virus verdict without its own `weight` (default 1; ICAP: `default_score`). */
  readonly weight?: number;
  /**
   * Written as the third field. Pass it only when the rule has
   * `show_attachments` and the part has a file name; it is never read back.
   */
  readonly filename?: string | null;
  /** ICAP writes clean results with weight 0. */
  readonly isIcap?: boolean;
}

export interface DecodeOptions {
  /** The rule is a hash service (has `symbols`): two-piece values are category symbols. */
  readonly isHashService: boolean;
  /** The rule's `default_score`, used when the weight field is missing or unreadable. */
  readonly defaultScore?: number | null;
}

/** The cache value for `verdict`, or null when it must not be cached (`fail`). */
export function encodeCacheValue(verdict: Verdict, options: EncodeOptions = {}): string | null {
  let result: string;
  let weight = 1;
  switch (verdict.kind) {
    case 'fail':
      return null;
    case 'clean':
      result = 'OK';
      weight = options.isIcap === true ? 0 : 1;
      break;
    case 'virus':
      result = verdict.names.join(NAME_SEPARATOR);
      weight = verdict.weight ?? options.weight ?? 1;
      break;
    case 'encrypted':
      result = 'ENCRYPTED';
      break;
    case 'macro':
      result = 'MACRO';
      break;
    case 'category':
      result = `${verdict.symbol}${NAME_SEPARATOR}${verdict.option}`;
      break;
  }
  const fields = [result, formatLuaNumber(weight)];
  if (options.filename !== undefined && options.filename !== null && options.filename !== '') {
    fields.push(options.filename);
  }
  return fields.join(FIELD_SEPARATOR);
}

/**
 * The verdict a cached value stands for, or null when the value is empty
 * (treated as a miss). `1` and `1.0` are read alike; the file name field is
 * ignored.
 */
export function decodeCacheValue(value: string, options: DecodeOptions): Verdict | null {
  const fields = value.split(FIELD_SEPARATOR);
  const first = fields[0] ?? '';
  if (first === '') return null;
  const pieces = first.split(NAME_SEPARATOR);
  const head = pieces[0] as string;
  // Rows of docs/semantics.md §6.4, in order: the first piece decides.
  if (head === 'OK') return { kind: 'clean' };
  if (head === 'MACRO') return { kind: 'macro', text: CACHED_MACRO_TEXT };
  if (head === 'ENCRYPTED') return { kind: 'encrypted', text: CACHED_ENCRYPTED_TEXT };
  if (pieces.length >= 2 && options.isHashService) {
    return { kind: 'category', symbol: head, option: pieces[1] as string };
  }
  return { kind: 'virus', names: pieces, weight: readWeight(fields[1], options.defaultScore) };
}

function readWeight(field: string | undefined, defaultScore: number | null | undefined): number {
  if (field !== undefined && field.trim() !== '') {
    const n = Number(field.trim());
    if (Number.isFinite(n)) return n;
  }
  return defaultScore ?? 1;
}

/** How `rule`'s cached values are read: hash services store category symbols; a missing weight is its `default_score`. */
export function decodeOptionsFor(rule: Pick<Rule, 'type' | 'defaultScore'>): DecodeOptions {
  return { isHashService: isHashServiceType(rule.type), defaultScore: rule.defaultScore };
}

/** How `rule`'s verdict on a body named `filename` is written (the name only under `show_attachments`). */
export function encodeOptionsFor(rule: Pick<Rule, 'type' | 'showAttachments'>, filename: string | null): EncodeOptions {
  return { filename: rule.showAttachments ? filename : null, isIcap: rule.type === 'icap' };
}
