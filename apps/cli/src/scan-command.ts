import pino from 'pino';
import { startProducer } from '@avfleet/producer';
import { startWorker } from '@avfleet/worker';
import type { CommandArgs } from './command-args';
import { collectMessages, type MessageSource } from './collect-messages';
import { loadRuntime } from './load-runtime';
import { ProgressBar } from './progress-bar';
import { exitStatus, formatTableLine, type ScanOutcome } from './scan-report';
import { submitMessage } from './submit-message';
import { UsageError } from './usage-error';

/** Messages in flight at once. */
const IN_FLIGHT = 4;

/**
 * `avfleet scan [--url URL] [--json] [--config PATH] FILE|DIR|MBOX…`: with --url
 * it submits to a running producer; without, it runs a producer and a worker in
 * this process (the single-machine default) and stops them afterwards.
 */
export async function runScan(args: CommandArgs): Promise<number> {
  if (args.positionals.length === 0) throw new UsageError('avfleet scan needs at least one FILE, DIR or MBOX');
  let sources: MessageSource[];
  try {
    sources = collectMessages(args.positionals);
  } catch (err) {
    args.io.stderr(`avfleet scan: ${(err as Error).message}\n`);
    return 2;
  }
  const url = typeof args.flags.url === 'string' ? args.flags.url : null;
  const rt = loadRuntime(args, 'scan');
  if ('exit' in rt) return rt.exit;

  let stop: (() => Promise<void>) | null = null;
  let baseUrl: string;
  if (url) {
    baseUrl = url;
  } else {
    const logger = pino({ level: args.io.env.LOG_LEVEL ?? 'warn', name: 'avfleet-scan' }, pino.destination(2));
    const settings = { ...rt.settings, listen: { host: '127.0.0.1', port: 0 }, metricsListen: { host: '127.0.0.1', port: 0 }, queuePrefix: `${rt.settings.queuePrefix}-scan` };
    const worker = await startWorker({ settings, config: rt.config, logger, serveOps: false });
    const producer = await startProducer({ settings, config: rt.config, logger });
    baseUrl = `http://127.0.0.1:${producer.address.port}`;
    stop = async () => {
      await producer.close();
      await worker.close();
    };
  }
  try {
    const outcomes = await scanAll(sources, baseUrl, rt.settings.apiToken, args);
    return exitStatus(outcomes);
  } finally {
    await stop?.();
  }
}

async function scanAll(sources: readonly MessageSource[], baseUrl: string, token: string | null, args: CommandArgs): Promise<ScanOutcome[]> {
  const json = args.flags.json === true;
  const bar = args.io.isTTY && sources.length > 3 ? new ProgressBar(sources.length, args.io.stderr) : null;
  const outcomes: ScanOutcome[] = new Array(sources.length);
  let next = 0;
  let printed = 0;
  const flush = (): void => {
    // Print in input order as soon as the prefix is complete.
    while (printed < sources.length && outcomes[printed]) {
      const o = outcomes[printed++];
      args.io.stdout(json ? `${JSON.stringify(o.ok ? { file: o.label, ...o.result } : { file: o.label, error: o.error })}\n` : `${formatTableLine(o)}\n`);
    }
  };
  const runOne = async (): Promise<void> => {
    for (let i = next++; i < sources.length; i = next++) {
      const src = sources[i];
      try {
        outcomes[i] = { label: src.label, ok: true, result: await submitMessage(baseUrl, src.load(), token) };
      } catch (err) {
        outcomes[i] = { label: src.label, ok: false, error: (err as Error).message };
      }
      bar?.tick();
      if (!bar) flush();
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, sources.length) }, runOne));
  bar?.finish();
  flush();
  return outcomes;
}
