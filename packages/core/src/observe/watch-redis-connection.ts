import type { EventEmitter } from 'node:events';
import type { FleetMetrics } from './fleet-metrics';
import type { Logger } from './logger';

/** What the watch needs of an ioredis client: its state and its events. */
export interface WatchedRedisClient extends Pick<EventEmitter, 'on'> {
  readonly status: string;
}

/** Error codes of a connection that failed or broke (Node's socket errors): Redis is unreachable, not the command wrong. */
const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'ENOENT']);

/** A socket error, or a Redis Cluster client's error whose last node error was one (ioredis `lastNodeError`). */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; lastNodeError?: unknown } | null;
  if (typeof e?.code === 'string' && CONNECTION_ERROR_CODES.has(e.code)) return true;
  return e?.lastNodeError !== undefined && isConnectionError(e.lastNodeError);
}

/** How often a lost connection is checked for being back, besides the clients' own `ready` events. */
const BACK_POLL_MS = 500;

/**
 * The one view a process has of its Redis connection. ioredis and BullMQ report a Redis
 * outage as an `error` event per client and per retry (and BullMQ prints those nobody
 * listens to as raw stack traces); every one of them comes here instead, and the process
 * logs one line per change of state: `Redis connection lost` (warn, with the first error)
 * and `Redis connection back` (info, with `lostMs` and how many errors the outage raised).
 */
export interface RedisConnectionWatch {
  /**
   * Takes over `emitter`'s `error` events (an ioredis client, a BullMQ Queue, Worker,
   * QueueEvents or FlowProducer): a connection error, and any error while Redis is lost,
   * is part of the outage; any other error goes to `otherError` (default: one error line
   * naming `what`).
   */
  absorb(emitter: Pick<EventEmitter, 'on'>, what: string, otherError?: (err: Error) => void): void;
  /** True while the connection is lost. */
  lost(): boolean;
  /** Stops watching (the process is closing its connections). */
  stop(): void;
}

export interface WatchRedisOptions {
  readonly logger: Logger;
  /** Sets avfleet_redis_connected. */
  readonly metrics?: Pick<FleetMetrics, 'redisConnected'>;
  readonly now?: () => number;
}

/** Watches `clients` (the process's own connections: Redis is back when every one of them is ready again). */
export function watchRedisConnection(clients: readonly WatchedRedisClient[], opts: WatchRedisOptions): RedisConnectionWatch {
  const { logger, metrics } = opts;
  const now = opts.now ?? Date.now;
  let state: 'starting' | 'up' | 'lost' | 'stopped' = 'starting';
  let lostAt = 0;
  let errors = 0;
  let poll: NodeJS.Timeout | null = null;

  const allReady = (): boolean => clients.every((c) => c.status === 'ready');
  const checkBack = (): void => {
    if ((state !== 'lost' && state !== 'starting') || !allReady()) return;
    if (state === 'lost') logger.info({ lostMs: now() - lostAt, errors }, 'Redis connection back');
    state = 'up';
    metrics?.redisConnected.set(1);
    if (poll) clearInterval(poll);
    poll = null;
  };
  const markLost = (err: Error | null): void => {
    errors += 1;
    if (state === 'lost' || state === 'stopped') return;
    state = 'lost';
    lostAt = now();
    errors = 1;
    metrics?.redisConnected.set(0);
    logger.warn({ err: err?.message ?? 'connection closed', code: (err as { code?: string } | null)?.code }, 'Redis connection lost');
    poll = setInterval(checkBack, BACK_POLL_MS);
    poll.unref();
  };

  metrics?.redisConnected.set(0);
  for (const c of clients) {
    c.on('ready', checkBack);
    // Only an unexpected disconnect reconnects (quit() does not): the connection broke.
    c.on('reconnecting', () => markLost(null));
  }
  const watch: RedisConnectionWatch = {
    absorb(emitter, what, otherError) {
      emitter.on('error', (err: Error) => {
        if (state === 'stopped') return;
        if (state === 'lost' || isConnectionError(err)) markLost(err);
        else if (otherError) otherError(err);
        else logger.error({ component: what, err: err.message }, 'Redis client error');
      });
    },
    lost: () => state === 'lost',
    stop() {
      state = 'stopped';
      if (poll) clearInterval(poll);
      poll = null;
    },
  };
  clients.forEach((c, i) => watch.absorb(c as Pick<EventEmitter, 'on'>, `redis connection ${i}`));
  checkBack();
  return watch;
}
