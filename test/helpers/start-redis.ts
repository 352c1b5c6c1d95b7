import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireExecutable, spawnDetached, stopProcessGroup, type DaemonHandle } from './daemon-process';
import { freePort } from './fleet-processes';
import { waitUntil } from './wait-until';
import { createConnection } from 'node:net';

/**
 * A private redis-server for one test file: its own port and folder, no persistence,
 * so a test can stop it (an outage) and start it again on the same port without
 * touching the shared Redis at 6379.
 */
export interface PrivateRedis {
  readonly port: number;
  /** redis://127.0.0.1:PORT/0 */
  readonly url: string;
  /** True while the server process runs. */
  running(): boolean;
  /** Stops the server (SIGTERM, then SIGKILL); data is gone (no persistence). */
  stop(): Promise<void>;
  /** Starts it again on the same port; resolves once it answers PING. */
  start(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open and every command waits, as in a stalled Redis. */
  pause(): void;
  /** Lets a paused server run again (SIGCONT). */
  resume(): void;
  /** Stops it and removes its folder. */
  dispose(): Promise<void>;
  /** The server's output so far, for failure messages. */
  output(): string;
}

/** True when something at 127.0.0.1:`port` answers `PING` with `+PONG`. */
export function redisAnswers(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.once('data', (d: Buffer) => {
      clearTimeout(timer);
      done(d.toString('latin1').startsWith('+PONG'));
    });
    sock.once('error', () => {
      clearTimeout(timer);
      done(false);
    });
  });
}

/** Starts redis-server on a free port of 127.0.0.1 (no RDB/AOF, maxmemory-policy noeviction). */
export async function startPrivateRedis(port?: number): Promise<PrivateRedis> {
  const binary = requireExecutable('redis-server', 'redis-server');
  const chosen = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'avft-redis-'));
  const log = join(dir, 'redis.out');
  writeFileSync(log, '');
  let handle: DaemonHandle | null = null;
  const output = (): string => {
    try {
      return readFileSync(log, 'utf8').slice(-4000);
    } catch {
      return '(no output)';
    }
  };
  const start = async (): Promise<void> => {
    if (handle && handle.exitStatus() === undefined) return;
    const args = ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--maxmemory-policy', 'noeviction', '--daemonize', 'no'];
    handle = spawnDetached(binary, args, log, dir);
    const h = handle;
    await waitUntil(() => redisAnswers(chosen), {
      timeoutMs: 10000,
      intervalMs: 50,
      failureMessage: () => `AVF_ERR_TEST_REDIS_START: redis-server on 127.0.0.1:${chosen} did not answer PING within 10 s; its output:\n${output()}`,
      abortWhen: () => (h.exitStatus() === undefined ? undefined : `AVF_ERR_TEST_REDIS_START: redis-server exited (${h.exitStatus()}); its output:\n${output()}`),
    });
  };
  const stop = async (): Promise<void> => {
    if (!handle) return;
    const pid = handle.pid;
    handle = null;
    await stopProcessGroup(pid, 3000);
  };
  await start();
  return {
    port: chosen,
    url: `redis://127.0.0.1:${chosen}/0`,
    running: () => handle !== null && handle.exitStatus() === undefined,
    stop,
    start,
    pause: () => {
      if (handle) process.kill(handle.pid, 'SIGSTOP');
    },
    resume: () => {
      if (handle) process.kill(handle.pid, 'SIGCONT');
    },
    async dispose() {
      if (handle) process.kill(handle.pid, 'SIGCONT');
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    output,
  };
}
