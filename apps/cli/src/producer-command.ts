import cluster from 'node:cluster';
import { runProducerCluster, startProducer, startProducerChild } from '@avfleet/producer';
import type { CommandArgs } from './command-args';
import { loadRuntime, untilSignal, type Runtime } from './load-runtime';

/**
 * `avfleet producer`: the HTTP API until SIGINT/SIGTERM. With
 * AVFLEET_PRODUCER_PROCESSES > 1 this process becomes a cluster primary that
 * runs that many producer children on the shared port (each child runs this
 * same command and lands in `runChild`).
 */
export async function runProducer(args: CommandArgs): Promise<number> {
  // A cluster child's primary has already printed the configuration warnings.
  const rt = loadRuntime(args, 'producer', { quiet: (settings) => settings.producerProcesses > 1 && cluster.isWorker });
  if ('exit' in rt) return rt.exit;
  if (rt.settings.producerProcesses > 1) return cluster.isWorker ? runChild(rt, args) : runPrimary(rt, args);
  const producer = await startProducer({ settings: rt.settings, config: rt.config, logger: rt.logger });
  const sig = await untilSignal();
  rt.logger.info({ signal: sig }, 'producer stopping');
  await producer.close();
  return 0;
}

async function runPrimary(rt: Runtime, args: CommandArgs): Promise<number> {
  const outcome = await runProducerCluster({ processes: rt.settings.producerProcesses, logger: rt.logger });
  if (outcome.failure) args.io.stderr(`avfleet producer: ${outcome.failure}\n`);
  return outcome.exitCode;
}

async function runChild(rt: Runtime, args: CommandArgs): Promise<number> {
  let producer: Awaited<ReturnType<typeof startProducerChild>>;
  try {
    producer = await startProducerChild({ settings: rt.settings, config: rt.config, logger: rt.logger });
  } catch (err) {
    // Connections opened before the failure (Redis, queues) would keep this child alive and
    // the primary waiting for it: say why and end the process, so the primary sees the exit.
    args.io.stderr(`avfleet producer (process ${process.pid}): ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
  // The primary forwards SIGTERM/SIGINT, and a terminal's Ctrl-C reaches the child too: the
  // second copy must not kill it while it finishes its requests in flight.
  const sig = await untilSignal({ ignoreRepeats: true });
  rt.logger.info({ signal: sig }, 'producer stopping');
  await producer.close();
  return 0;
}
