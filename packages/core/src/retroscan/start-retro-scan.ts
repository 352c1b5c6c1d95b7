import { newScanId } from '../contracts/scan-id';
import type { FleetMetrics } from '../observe/fleet-metrics';
import type { Logger } from '../observe/logger';
import { scanQueueName } from '../queue/queue-names';
import type { PartLocation, RetroMemory } from './retro-memory';

/** The retro queue of a rule: its own BullMQ queue, so live part jobs never wait behind it. */
export function retroQueueName(rule: string): string {
  return `retro-${scanQueueName(rule)}`;
}

/** What started a retro-scan. */
export type RetroTrigger = 'version' | 'demand';

/** One part scanned again: where its bytes are and why. Carries no bytes and no carriers (read from the memory when found). */
export interface RetroPartJob {
  readonly v: 1;
  /** The retro-scan this part belongs to. */
  readonly runId: string;
  readonly rule: string;
  /** SHA-256 of the part's decoded bytes. */
  readonly digest: string;
  readonly location: PartLocation;
  readonly trigger: RetroTrigger;
}

/** The queue a retro-scan adds to (BullMQ's Queue satisfies it). */
export interface RetroQueue {
  addBulk(jobs: { name: string; data: RetroPartJob; opts?: { jobId?: string; removeOnComplete?: boolean; removeOnFail?: number | boolean; attempts?: number; backoff?: { type: 'exponential'; delay: number } } }[]): Promise<unknown>;
}

/** A retro-scan as `POST /retroscan` answers it. */
export interface RetroRun {
  readonly id: string;
  readonly rule: string;
  /** ISO 8601: parts whose bytes were stored at or after this. */
  readonly since: string;
  readonly trigger: RetroTrigger;
  /** Part jobs added (parts already waiting on the retro queue are not added twice). */
  readonly parts: number;
}

/** Part jobs added per addBulk. */
const ADD_BATCH = 500;

/** Starts retro-scans: the rule's remembered parts since a time, each as a job on the rule's retro queue. */
export interface RetroScanStarter {
  start(rule: string, opts: { readonly since: number; readonly trigger: RetroTrigger }): Promise<RetroRun>;
}

/**
 * A retro-scan: the rule's remembered pairs, a page at a time, added to `retro-<rule>`. A part's
 * job id is its digest, so a part still waiting from an earlier run is not added again; jobs are
 * removed when done. Returns once every job is added (a full memory of 100 000 parts is 200 addBulk calls).
 */
export function createRetroScanStarter(deps: {
  readonly memory: Pick<RetroMemory, 'page'>;
  readonly queueOf: (rule: string) => RetroQueue | null;
  readonly metrics: Pick<FleetMetrics, 'retroScans'>;
  readonly logger: Logger;
}): RetroScanStarter {
  return {
    async start(rule, opts) {
      const queue = deps.queueOf(rule);
      if (!queue) throw new Error(`no retro queue for rule '${rule}'`);
      const runId = newScanId();
      deps.metrics.retroScans.inc({ rule, trigger: opts.trigger });
      let parts = 0;
      let offset: number | null = 0;
      while (offset !== null) {
        const page: Awaited<ReturnType<RetroMemory['page']>> = await deps.memory.page(rule, opts.since, offset);
        for (let i = 0; i < page.parts.length; i += ADD_BATCH) {
          const batch = page.parts.slice(i, i + ADD_BATCH);
          await queue.addBulk(batch.map((p) => ({
            name: 'retro',
            data: { v: 1, runId, rule, digest: p.digest, location: p.location, trigger: opts.trigger },
            opts: { jobId: p.digest, removeOnComplete: true, removeOnFail: 1000, attempts: 3, backoff: { type: 'exponential', delay: 5000 } },
          })));
          parts += batch.length;
        }
        offset = page.next;
      }
      const run: RetroRun = { id: runId, rule, since: new Date(opts.since).toISOString(), trigger: opts.trigger, parts };
      deps.logger.info({ retroScan: runId, rule, since: run.since, trigger: opts.trigger, parts }, 'retro-scan started');
      return run;
    },
  };
}
