import type { Rule } from '@avfleet/config';
import { AGGREGATE_QUEUE } from '@avfleet/core';

export interface QueueSelection {
  readonly rules: readonly Rule[];
  readonly aggregate: boolean;
}

/** `--queues clamav,sophos,aggregate` → the rules to serve; null = every rule plus aggregation. Unknown names are an error. */
export function selectQueues(wanted: readonly string[] | null, rules: readonly Rule[]): QueueSelection {
  if (wanted === null) return { rules, aggregate: true };
  const byName = new Map(rules.map((r) => [r.name, r]));
  const unknown = wanted.filter((q) => q !== AGGREGATE_QUEUE && !byName.has(q));
  if (unknown.length > 0) {
    throw new Error(
      `--queues names ${unknown.map((u) => `'${u}'`).join(', ')} which ${unknown.length === 1 ? 'is' : 'are'} not a rule of the configuration; ` +
        `known: ${[...byName.keys(), AGGREGATE_QUEUE].join(', ')}`,
    );
  }
  return { rules: rules.filter((r) => wanted.includes(r.name)), aggregate: wanted.includes(AGGREGATE_QUEUE) };
}
