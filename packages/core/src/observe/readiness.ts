import type { Readiness } from './ops-server';

/** Something that answers whether one rule has a server to scan with (a scanner client). */
export interface RuleReadiness {
  isReady?(): Promise<boolean>;
}

/**
 * The readiness check of a producer (Redis and the store) or a worker (and a reachable
 * server for every rule it serves): each dependency answers `ok` or what is wrong.
 */
export function readinessCheck(
  redis: { ping(): Promise<unknown> }, store: { ping(): Promise<unknown> }, rules?: ReadonlyMap<string, RuleReadiness>,
): () => Promise<Readiness> {
  return async () => {
    const [redisState, storeState, ruleStates] = await Promise.all([
      redis.ping().then(() => 'ok', (e: Error) => e.message),
      store.ping().then(() => 'ok', (e: Error) => e.message),
      rules ? ruleReadiness(rules) : Promise.resolve(undefined),
    ]);
    const rulesOk = ruleStates === undefined || Object.values(ruleStates).every((s) => s === 'ok');
    return { ok: redisState === 'ok' && storeState === 'ok' && rulesOk, redis: redisState, store: storeState, ...(ruleStates ? { rules: ruleStates } : {}) };
  };
}

async function ruleReadiness(rules: ReadonlyMap<string, RuleReadiness>): Promise<Record<string, string>> {
  const entries = await Promise.all(
    [...rules].map(async ([name, s]) => [name, (await (s.isReady?.() ?? Promise.resolve(true)).catch(() => false)) ? 'ok' : 'no server available'] as const),
  );
  return Object.fromEntries(entries);
}
