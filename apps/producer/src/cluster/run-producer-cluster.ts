import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '@avfleet/core';
import { isClusterMessage } from './cluster-messages';
import { aggregateChildMetrics, type ChildEnd } from './metrics-over-ipc';
import { DEFAULT_RESTART_POLICY, RestartPolicy, type RestartPolicyOptions } from './restart-policy';

export interface ProducerClusterOptions {
  /** Children to keep running (AVFLEET_PRODUCER_PROCESSES, > 1). */
  readonly processes: number;
  readonly logger: Logger;
  readonly restartPolicy?: RestartPolicyOptions;
}

export interface ProducerClusterOutcome {
  /** 0 after a requested stop in which every ready child finished cleanly; else non-zero. */
  readonly exitCode: number;
  /** Why the cluster stopped on its own (for stderr), when it did. */
  readonly failure?: string;
}

interface Child {
  readonly worker: Worker;
  readonly slot: number;
  readonly startedAt: number;
  ready: boolean;
}

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

function describeExit(code: number | null, signal: string | null): string {
  return signal ? `signal ${signal}` : `exit code ${code ?? 'unknown'}`;
}

/**
 * The primary of a producer cluster: forks `processes` children that each run
 * the normal producer (the same `avfleet producer` command line; node:cluster
 * shares the listen port round-robin), restarts a child that dies, forwards
 * SIGTERM/SIGINT to the children and waits for their graceful close, and
 * aggregates the children's metrics for GET /metrics. Resolves once every
 * child has exited.
 *
 * Stops on its own, non-zero, when a child exits before it was ready during
 * start-up (its error is on stderr above: configuration, address in use,
 * Redis), or when children keep exiting soon after they start.
 */
export function runProducerCluster(opts: ProducerClusterOptions): Promise<ProducerClusterOutcome> {
  const { logger, processes } = opts;
  const policy = new RestartPolicy(opts.restartPolicy ?? DEFAULT_RESTART_POLICY);
  const children = new Map<number, Child>();
  const restartTimers = new Set<NodeJS.Timeout>();
  let startupDone = false;
  let stopping = false;
  let outcome: ProducerClusterOutcome | null = null;
  let cleanExits = true;

  const childEnd = (worker: Worker): ChildEnd => ({
    id: worker.id,
    send(message) {
      if (!worker.isConnected()) return;
      try {
        worker.send(message, undefined, () => undefined);
      } catch {
        // The child is going away; the collection stops waiting for it on 'exit'.
      }
    },
  });
  const metrics = aggregateChildMetrics({
    logger,
    readyChildren: () => [...children.values()].filter((c) => c.ready).map((c) => childEnd(c.worker)),
  });

  cluster.schedulingPolicy = cluster.SCHED_RR;

  const fork = (slot: number): void => {
    const worker = cluster.fork();
    children.set(worker.id, { worker, slot, startedAt: Date.now(), ready: false });
    logger.info({ child: worker.process.pid, slot }, 'producer process started');
  };

  return new Promise<ProducerClusterOutcome>((resolve) => {
    const finishIfDone = (): void => {
      if (!stopping || children.size > 0) return;
      for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
      cluster.off('message', onMessage);
      cluster.off('exit', onExit);
      const result = outcome ?? { exitCode: cleanExits ? 0 : 1 };
      logger.info({ exitCode: result.exitCode }, 'producer cluster stopped');
      resolve(result);
    };

    /** Stop every child (graceful: SIGTERM, as for a single producer); `failure` marks a stop the cluster decided on. */
    const stopAll = (signal: NodeJS.Signals, failure?: ProducerClusterOutcome): void => {
      if (failure && !outcome) outcome = failure;
      if (stopping) return;
      stopping = true;
      for (const t of restartTimers) clearTimeout(t);
      restartTimers.clear();
      for (const c of children.values()) {
        if (c.worker.process.pid !== undefined && c.worker.process.exitCode === null && c.worker.process.signalCode === null) {
          try {
            process.kill(c.worker.process.pid, signal);
          } catch {
            // already gone; its 'exit' event follows
          }
        }
      }
      finishIfDone();
    };

    function onSignal(signal: NodeJS.Signals): void {
      if (stopping) {
        logger.warn({ signal }, 'producer cluster already stopping: waiting for the requests in flight');
        return;
      }
      logger.info({ signal, children: [...children.values()].map((c) => c.worker.process.pid) }, 'producer cluster stopping');
      stopAll(signal);
    }

    function onMessage(worker: Worker, message: unknown): void {
      if (!isClusterMessage(message)) return;
      const child = children.get(worker.id);
      if (message.type === 'avfleet:producer-ready' && child) {
        child.ready = true;
        logger.info({ child: worker.process.pid, slot: child.slot }, 'producer process ready');
        if (!startupDone && [...children.values()].filter((c) => c.ready).length >= processes) {
          startupDone = true;
          logger.info({ processes, children: [...children.values()].map((c) => c.worker.process.pid) }, 'producer cluster ready');
        }
        return;
      }
      metrics.handle(childEnd(worker), message);
    }

    function onExit(worker: Worker, code: number | null, signal: string | null): void {
      const child = children.get(worker.id);
      children.delete(worker.id);
      metrics.forget(worker.id);
      if (!child) return;
      const how = describeExit(code, signal);
      const fields = { child: worker.process.pid, slot: child.slot, code, signal, uptimeMs: Date.now() - child.startedAt };
      if (stopping) {
        if (child.ready && code !== 0) {
          cleanExits = false;
          logger.error(fields, `producer process did not stop cleanly (${how})`);
        } else {
          logger.info(fields, 'producer process stopped');
        }
        finishIfDone();
        return;
      }
      if (!startupDone && !child.ready) {
        const failure = `producer process ${worker.process.pid} (slot ${child.slot}) exited (${how}) before it was ready; see the error it printed on stderr (configuration, address in use, Redis or the object store)`;
        logger.error(fields, failure);
        stopAll('SIGTERM', { exitCode: code !== null && code !== 0 ? code : 1, failure });
        return;
      }
      logger.error(fields, `producer process exited unexpectedly (${how})`);
      const decision = policy.onUnexpectedExit(fields.uptimeMs, child.ready);
      if (decision.action === 'give-up') {
        const failure =
          `producer processes keep exiting soon after they start (${decision.quickExits} times in a row); not restarting them again. ` +
          'Look at their errors above and at how they exited (SIGKILL is often the out-of-memory killer): Redis and the object store must be reachable, the listen address free, and the machine needs memory for every process';
        logger.error({ quickExits: decision.quickExits }, failure);
        stopAll('SIGTERM', { exitCode: 1, failure });
        return;
      }
      logger.info({ slot: child.slot, delayMs: decision.delayMs }, 'restarting producer process');
      const timer = setTimeout(() => {
        restartTimers.delete(timer);
        if (!stopping) fork(child.slot);
      }, decision.delayMs);
      restartTimers.add(timer);
    }

    for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
    cluster.on('message', onMessage);
    cluster.on('exit', onExit);
    logger.info({ processes }, 'producer cluster starting');
    for (let slot = 0; slot < processes; slot++) fork(slot);
  });
}
