import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderClamdConf } from './clamd-settings';
import { outputTail, requireExecutable, spawnDetached, stopProcessGroup } from './daemon-process';
import { fixturePath } from './repo-root';
import { clamdPing, type ClamdTarget } from './service-probes';
import { waitUntil } from './wait-until';

export interface StartClamdOptions {
  /** Working folder for clamd.conf, clamd.log, clamd.pid and the db copy (created). */
  dir: string;
  /** TCP port on 127.0.0.1 (omit for unix socket only). */
  tcpPort?: number;
  tcpAddr?: string;
  /** Unix socket path (default `<dir>/clamd.sock`). */
  socketPath?: string;
  /** Signature folder copied to `<dir>/db` (default test/fixtures/clamd/db). */
  dbDir?: string;
  /** Extra/overriding clamd.conf directives, e.g. `{ AlertExceedsMax: 'yes' }`. */
  overrides?: Record<string, string>;
  /** Bound on the wait for PONG (default 30 s). */
  readyTimeoutMs?: number;
}

export interface StartedClamd {
  pid: number;
  configPath: string;
  logPath: string;
  /** stdout/stderr of the process (config errors land here, not in logPath). */
  outputPath: string;
  socketPath: string;
  tcpPort: number | undefined;
  /** Preferred address for clients: TCP when a port is set, else the unix socket. */
  target: ClamdTarget;
  /** SIGTERM (then SIGKILL) and wait until it is gone. */
  stop(): Promise<void>;
}

/**
 * Starts a foreground clamd as a detached child with a generated config and resolves
 * once it answers PING. Needs the Debian package clamav-daemon.
 */
export async function startClamd(options: StartClamdOptions): Promise<StartedClamd> {
  const clamd = requireExecutable('clamd', 'clamav-daemon clamav');
  const dir = options.dir;
  mkdirSync(dir, { recursive: true });
  const dbCopy = join(dir, 'db');
  rmSync(dbCopy, { recursive: true, force: true });
  mkdirSync(dbCopy);
  const source = options.dbDir ?? fixturePath('clamd', 'db');
  for (const name of readdirSync(source)) copyFileSync(join(source, name), join(dbCopy, name));

  const socketPath = options.socketPath ?? join(dir, 'clamd.sock');
  const configPath = join(dir, 'clamd.conf');
  const logPath = join(dir, 'clamd.log');
  const outputPath = join(dir, 'clamd.out');
  const pidPath = join(dir, 'clamd.pid');
  if (existsSync(socketPath)) rmSync(socketPath);
  writeFileSync(outputPath, '');
  writeFileSync(
    configPath,
    renderClamdConf({
      logFile: logPath,
      pidFile: pidPath,
      databaseDirectory: dbCopy,
      socketPath,
      ...(options.tcpPort !== undefined ? { tcpPort: options.tcpPort, tcpAddr: options.tcpAddr ?? '127.0.0.1' } : {}),
      ...(options.overrides ? { overrides: options.overrides } : {}),
    }),
  );

  const handle = spawnDetached(clamd, ['-c', configPath], outputPath, dir);
  const target: ClamdTarget =
    options.tcpPort !== undefined ? { host: options.tcpAddr ?? '127.0.0.1', port: options.tcpPort } : { socketPath };
  const stop = (): Promise<void> => stopProcessGroup(handle.pid);
  try {
    await waitUntil(() => clamdPing(target), {
      timeoutMs: options.readyTimeoutMs ?? 30000,
      failureMessage: () =>
        `AVF_ERR_TEST_CLAMD_START: clamd (pid ${handle.pid}) did not answer PING within ${options.readyTimeoutMs ?? 30000} ms; ` +
        `see ${logPath} and ${outputPath}:\n${outputTail(outputPath)}`,
      abortWhen: () => {
        const status = handle.exitStatus();
        return status === undefined
          ? undefined
          : `AVF_ERR_TEST_CLAMD_START: clamd exited (${status}) before answering PING; see ${logPath} and ${outputPath}:\n${outputTail(outputPath)}`;
      },
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { pid: handle.pid, configPath, logPath, outputPath, socketPath, tcpPort: options.tcpPort, target, stop };
}
