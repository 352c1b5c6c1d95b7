import { randomBytes } from 'node:crypto';

/** The Redis command a fleet-wide schedule needs (ioredis). */
export interface FleetLockClient {
  set(key: string, value: string, px: 'PX', ms: number, nx: 'NX'): Promise<'OK' | null>;
}

/**
 * A task one process of the fleet runs per interval, however many run the schedule: every
 * interval each asks for the lock `key` (`SET NX` with the interval as its TTL, never released
 * early), and the one that gets it runs `task` (never two at once in one process). The first
 * try comes soon after start, spread over up to `firstWithinMs`. `onError` gets a failure of the
 * lock or of `task`; the next interval tries again. Returns a stop function.
 */
export function scheduleFleetWide(opts: {
  readonly redis: FleetLockClient;
  readonly key: string;
  readonly intervalMs: number;
  readonly firstWithinMs: number;
  readonly task: () => Promise<void>;
  readonly onError: (err: unknown) => void;
}): () => void {
  const token = `${process.pid}.${randomBytes(6).toString('hex')}`;
  let running = false;
  let stopped = false;
  const tick = async (): Promise<void> => {
    if (running || stopped) return;
    running = true;
    try {
      if ((await opts.redis.set(opts.key, token, 'PX', opts.intervalMs, 'NX')) !== 'OK') return; // another process has this interval
      await opts.task();
    } catch (err) {
      opts.onError(err);
    } finally {
      running = false;
    }
  };
  const first = setTimeout(() => void tick(), Math.floor(Math.random() * Math.min(opts.intervalMs, opts.firstWithinMs)));
  const timer = setInterval(() => void tick(), opts.intervalMs);
  first.unref();
  timer.unref();
  return () => {
    stopped = true;
    clearTimeout(first);
    clearInterval(timer);
  };
}
