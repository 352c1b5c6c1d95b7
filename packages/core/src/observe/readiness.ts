import type { ComponentState, Readiness } from './ops-server';

/** Something that answers whether one rule has a server to scan with (a scanner client). */
export interface RuleReadiness {
  isReady?(): Promise<boolean>;
}

/**
 * The readiness check of a producer (Redis and the store) or a worker (and a reachable
 * server for every rule it serves): each dependency is `ok` or `down`, and `details` says why.
 */
export function readinessCheck(
  redis: { ping(): Promise<unknown> }, store: { ping(): Promise<unknown> }, rules?: ReadonlyMap<string, RuleReadiness>,
): () => Promise<Readiness> {
  return async () => {
    const [redisWhy, storeWhy, ruleReady] = await Promise.all([
      redis.ping().then(() => null, (e: Error) => e.message),
      store.ping().then(() => null, (e: Error) => e.message),
      rules ? ruleReadiness(rules) : Promise.resolve(undefined),
    ]);
    const details: Record<string, string> = {};
    if (redisWhy !== null) details.redis = redisWhy;
    if (storeWhy !== null) details.store = storeWhy;
    const ruleStates: Record<string, ComponentState> = {};
    for (const [name, ready] of ruleReady ?? []) {
      ruleStates[name] = ready ? 'ok' : 'down';
      if (!ready) details[`rule ${name}`] = 'no server available';
    }
    const state = (why: string | null): ComponentState => (why === null ? 'ok' : 'down');
    return {
      ok: Object.keys(details).length === 0,
      redis: state(redisWhy),
      store: state(storeWhy),
      ...(ruleReady ? { rules: ruleStates } : {}),
      details,
    };
  };
}

async function ruleReadiness(rules: ReadonlyMap<string, RuleReadiness>): Promise<(readonly [string, boolean])[]> {
  return Promise.all([...rules].map(async ([name, s]) => [name, await (s.isReady?.() ?? Promise.resolve(true)).catch(() => false)] as const));
}
