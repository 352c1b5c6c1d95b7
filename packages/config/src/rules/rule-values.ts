import type { ActionName, RateLimit, VerdictTrigger } from './rule';
import { ACTION_NAMES } from './rule';

/**
 * Small value grammars of rule options: action names (docs/semantics.md §8),
 * `action_on`, and avfleet's `rate_limit` ("4/60s").
 */
export const VERDICT_TRIGGERS: readonly VerdictTrigger[] = ['virus', 'encrypted', 'macro'];

/** Normalise an action name: `_` spellings and `accept` are accepted; null when unknown. */
export function parseActionName(value: string): ActionName | null {
  const v = value.trim().toLowerCase().replace(/_/g, ' ');
  if (v === 'accept') return 'no action';
  return (ACTION_NAMES as readonly string[]).includes(v) ? (v as ActionName) : null;
}

export const KNOWN_ACTIONS_TEXT = ACTION_NAMES.map((a) => `"${a}"`).join(', ');

const PERIOD_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * `N/period`: N scans per period; the period is a number with an optional
 * unit (`ms`, `s`, `min`, `h`, `d`; default seconds) or a bare unit
 * (`10/min`). Returns null when malformed.
 */
export function parseRateLimit(value: string): RateLimit | null {
  const m = /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)?\s*([a-z]*)\s*$/i.exec(value);
  if (!m) return null;
  const max = Number(m[1]);
  const amount = m[2] === undefined ? 1 : Number(m[2]);
  const unit = (m[3] ?? '').toLowerCase() || 's';
  const factor = PERIOD_UNITS[unit];
  if (factor === undefined || max <= 0 || amount <= 0) return null;
  return { max, durationMs: Math.round(amount * factor) };
}
