import { EventEmitter } from 'node:events';
import { Registry } from 'prom-client';
import { createFleetMetrics } from './fleet-metrics';
import type { Logger } from './logger';
import { isConnectionError, watchRedisConnection } from './watch-redis-connection';

class FakeClient extends EventEmitter {
  status = 'ready';
}

function recordingLogger(): { logger: Logger; lines: { level: string; obj: Record<string, unknown>; msg: string }[] } {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const at = (level: string) => (obj: object | string, msg?: string): void => {
    lines.push({ level, obj: typeof obj === 'string' ? {} : (obj as Record<string, unknown>), msg: typeof obj === 'string' ? obj : msg ?? '' });
  };
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return { logger, lines };
}

const refused = (): Error => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });

describe('watchRedisConnection', () => {
  it('tells an outage in two lines however many clients and retries report it, and sets avfleet_redis_connected', async () => {
    const { logger, lines } = recordingLogger();
    const registry = new Registry();
    const metrics = createFleetMetrics(registry, { defaultMetrics: false });
    let t = 1000;
    const [a, b] = [new FakeClient(), new FakeClient()];
    const worker = new EventEmitter();
    const watch = watchRedisConnection([a, b], { logger, metrics, now: () => t });
    watch.absorb(worker, 'worker clamav');
    expect((await metrics.redisConnected.get()).values[0]?.value).toBe(1);

    for (const c of [a, b]) c.status = 'reconnecting';
    a.emit('reconnecting');
    for (let i = 0; i < 20; i += 1) {
      a.emit('error', refused());
      b.emit('error', refused());
      worker.emit('error', refused());
    }
    // While Redis is lost, an error without a connection code (a command that failed with it) is part of the outage.
    worker.emit('error', new Error('Connection is closed.'));
    expect(watch.lost()).toBe(true);
    expect((await metrics.redisConnected.get()).values[0]?.value).toBe(0);
    t = 4200;
    a.status = 'ready';
    a.emit('ready');
    expect(watch.lost()).toBe(true); // b is not back yet
    b.status = 'ready';
    b.emit('ready');
    expect(lines.map((l) => [l.level, l.msg])).toEqual([['warn', 'Redis connection lost'], ['info', 'Redis connection back']]);
    expect(lines[1]!.obj).toMatchObject({ lostMs: 3200, errors: 62 });
    expect((await metrics.redisConnected.get()).values[0]?.value).toBe(1);
    watch.stop();
  });

  it('logs an error that is not a connection error once, as the emitter asks, while Redis is up', () => {
    const { logger, lines } = recordingLogger();
    const client = new FakeClient();
    const watch = watchRedisConnection([client], { logger });
    const worker = new EventEmitter();
    const seen: string[] = [];
    watch.absorb(worker, 'worker clamav', (err) => seen.push(err.message));
    worker.emit('error', new Error('Missing lock for job 7'));
    const queue = new EventEmitter();
    watch.absorb(queue, 'queue aggregate');
    queue.emit('error', new Error('ERR unknown command'));
    expect(seen).toEqual(['Missing lock for job 7']);
    expect(lines).toEqual([{ level: 'error', obj: { component: 'queue aggregate', err: 'ERR unknown command' }, msg: 'Redis client error' }]);
    expect(watch.lost()).toBe(false);
    watch.stop();
  });

  it('finds Redis back by polling when no watched client said ready (only a BullMQ-internal connection broke)', async () => {
    const { logger, lines } = recordingLogger();
    const client = new FakeClient();
    const watch = watchRedisConnection([client], { logger });
    const worker = new EventEmitter();
    watch.absorb(worker, 'worker clamav');
    worker.emit('error', refused());
    expect(watch.lost()).toBe(true);
    await new Promise((r) => setTimeout(r, 2 * 500 + 1000));
    expect(watch.lost()).toBe(false);
    expect(lines.map((l) => l.msg)).toEqual(['Redis connection lost', 'Redis connection back']);
    watch.stop();
  });

  it('tells connection errors by their code', () => {
    expect(isConnectionError(refused())).toBe(true);
    expect(isConnectionError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isConnectionError(new Error('connect ECONNREFUSED'))).toBe(false);
    expect(isConnectionError(null)).toBe(false);
  });
});
