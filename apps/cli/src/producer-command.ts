import { startProducer } from '@avfleet/producer';
import type { CommandArgs } from './command-args';
import { loadRuntime, untilSignal } from './load-runtime';

/** `avfleet producer`: the HTTP API until SIGINT/SIGTERM. */
export async function runProducer(args: CommandArgs): Promise<number> {
  const rt = loadRuntime(args, 'producer');
  if ('exit' in rt) return rt.exit;
  const producer = await startProducer({ settings: rt.settings, config: rt.config, logger: rt.logger });
  const sig = await untilSignal();
  rt.logger.info({ signal: sig }, 'producer stopping');
  await producer.close();
  return 0;
}
