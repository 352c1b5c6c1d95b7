import { readFileSync } from 'node:fs';
import { startClamd, type StartedClamd } from '../../../test/helpers/start-clamd';
import { clamdCommand } from '../../../test/helpers/service-probes';
import { waitUntil } from '../../../test/helpers/wait-until';

export type { StartedClamd };

/**
 * The bench's own clamd (test/helpers/start-clamd.ts, fixture signatures) on `port`;
 * `overrides` replace clamd.conf directives (e.g. the memory phase's larger StreamMaxLength).
 */
export function startBenchClamd(dir: string, port: number, overrides?: Record<string, string>): Promise<StartedClamd> {
  return startClamd({ dir, tcpPort: port, readyTimeoutMs: 60000, ...(overrides ? { overrides } : {}) });
}

function reloadCount(logPath: string): number {
  try {
    return (readFileSync(logPath, 'utf8').match(/Database correctly reloaded/g) ?? []).length;
  } catch {
    return 0;
  }
}

/**
 * Drops clamd's scan cache: `RELOAD` builds a new engine (with an empty cache). Resolves
 * once clamd's log says the reload finished and it answers PING again.
 */
export async function reloadClamd(clamd: StartedClamd): Promise<void> {
  const before = reloadCount(clamd.logPath);
  const answer = await clamdCommand(clamd.target, 'RELOAD', 5000);
  if (!answer.startsWith('RELOADING')) throw new Error(`AVF_ERR_BENCH_RELOAD: clamd answered '${answer}' to RELOAD; see ${clamd.logPath}`);
  await waitUntil(async () => reloadCount(clamd.logPath) > before && (await clamdCommand(clamd.target, 'PING', 2000)) === 'PONG', {
    timeoutMs: 60000,
    intervalMs: 50,
    failureMessage: () => `AVF_ERR_BENCH_RELOAD: clamd did not finish RELOAD within 60 s; see ${clamd.logPath}`,
  });
}
