import { startWorker } from '@avfleet/worker';
import type { CommandArgs } from './command-args';
import { loadRuntime, untilSignal } from './load-runtime';

/** `avfleet worker`: BullMQ workers for --queues until SIGINT/SIGTERM, then a graceful close (active jobs finish). */
export async function runWorker(args: CommandArgs): Promise<number> {
  const rt = loadRuntime(args, 'worker');
  if ('exit' in rt) return rt.exit;
  const worker = await startWorker({ settings: rt.settings, config: rt.config, logger: rt.logger });
  const sig = await untilSignal();
  rt.logger.info({ signal: sig }, 'worker stopping');
  await worker.close();
  return 0;
}
