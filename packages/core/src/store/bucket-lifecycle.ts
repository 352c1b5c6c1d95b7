import { MESSAGES_PREFIX, PARTS_PREFIX } from './part-key';

/**
 * S3 retention is the bucket's lifecycle configuration: an expiration rule on
 * `<prefix>messages/` and one on `<prefix>parts/` (README, "The object store").
 * These are the shapes the minio client reads and writes, loosely typed: a
 * bucket may hold rules written by any tool.
 */
export interface LifecycleRuleLike {
  readonly ID?: string;
  readonly Status?: string;
  readonly Prefix?: string;
  readonly Filter?: { readonly Prefix?: string; readonly And?: { readonly Prefix?: string; readonly Tags?: unknown }; readonly Tag?: unknown };
  readonly Expiration?: { readonly Days?: number | string; readonly Date?: string };
}

/** `Rule` is a list, or one object when the XML held a single rule. */
export interface LifecycleConfigLike {
  readonly Rule?: LifecycleRuleLike | readonly LifecycleRuleLike[];
}

export function rulesOf(config: LifecycleConfigLike | null | undefined): LifecycleRuleLike[] {
  const r = config?.Rule;
  if (!r) return [];
  return Array.isArray(r) ? [...(r as readonly LifecycleRuleLike[])] : [r as LifecycleRuleLike];
}

/** The object-name prefixes avfleet writes under: `<keyPrefix>messages/` and `<keyPrefix>parts/`. */
export function storedPrefixes(keyPrefix: string): readonly [string, string] {
  return [`${keyPrefix}${MESSAGES_PREFIX}`, `${keyPrefix}${PARTS_PREFIX}`];
}

/** An enabled rule that expires every object under `prefix` (no tag filter: avfleet's objects carry no tags). */
function expires(rule: LifecycleRuleLike, prefix: string): boolean {
  if (rule.Status !== 'Enabled' || !rule.Expiration) return false;
  if (rule.Expiration.Days === undefined && rule.Expiration.Date === undefined) return false;
  if (rule.Filter?.Tag !== undefined || rule.Filter?.And?.Tags !== undefined) return false;
  const rulePrefix = rule.Filter?.And?.Prefix ?? rule.Filter?.Prefix ?? rule.Prefix ?? '';
  return prefix.startsWith(rulePrefix);
}

/** The avfleet prefixes no enabled expiration rule covers ([] when both are covered). */
export function uncoveredPrefixes(config: LifecycleConfigLike | null | undefined, keyPrefix: string): string[] {
  const rules = rulesOf(config);
  return storedPrefixes(keyPrefix).filter((p) => !rules.some((r) => expires(r, p)));
}

/** Whole days of a retention, rounded up (S3 expires by days; at least 1). */
export function expirationDays(retentionSec: number): number {
  return Math.max(1, Math.ceil(retentionSec / 86400));
}

/** avfleet's two rules, as `mc ilm import` and `setBucketLifecycle` take them. */
export function avfleetLifecycleRules(keyPrefix: string, days: number): Array<{ ID: string; Status: 'Enabled'; Filter: { Prefix: string }; Expiration: { Days: number } }> {
  const [messages, parts] = storedPrefixes(keyPrefix);
  return [
    { ID: 'avfleet-expire-messages', Status: 'Enabled', Filter: { Prefix: messages }, Expiration: { Days: days } },
    { ID: 'avfleet-expire-parts', Status: 'Enabled', Filter: { Prefix: parts }, Expiration: { Days: days } },
  ];
}
