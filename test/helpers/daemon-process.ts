import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { waitUntil } from './wait-until';

/**
 * Finds an executable on PATH or in the usual sbin folders (clamd lives in /usr/sbin,
 * which a non-root PATH may lack). Returns undefined when it is not installed.
 */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Like findExecutable, but throws an error that says how to install the missing binary. */
export function requireExecutable(name: string, debianPackage: string): string {
  const found = findExecutable(name);
  if (found) return found;
  throw new Error(
    `AVF_ERR_TEST_BINARY_MISSING: '${name}' is not installed. Run .ci/run (it installs the test services) ` +
      `or install the Debian package yourself: apt-get install --no-install-recommends ${debianPackage}`,
  );
}

/** A started background process. */
export interface DaemonHandle {
  pid: number;
  /** Set once the process has exited (exit code or signal name). */
  exitStatus(): string | undefined;
}

/**
 * Spawns `command args` detached (own process group, so stopProcessGroup can take its
 * children too) with stdout/stderr appended to `outputLog`. The parent does not wait for it.
 */
export function spawnDetached(command: string, args: string[], outputLog: string, cwd: string): DaemonHandle {
  const fd = openSync(outputLog, 'a');
  let exit: string | undefined;
  try {
    const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new Error(`AVF_ERR_TEST_SPAWN: could not start ${command}; see ${outputLog}`);
    child.on('exit', (code, signal) => {
      exit = signal ?? `exit code ${code}`;
    });
    child.on('error', (err) => {
      exit = err.message;
    });
    child.unref();
    return { pid: child.pid, exitStatus: () => exit };
  } finally {
    closeSync(fd);
  }
}

/**
 * Stops a process group started by spawnDetached: SIGTERM, then SIGKILL after `graceMs`.
 * Resolves once the leader is gone. Unknown or already-gone pids are fine.
 */
export async function stopProcessGroup(pid: number, graceMs = 5000): Promise<void> {
  const signal = (sig: NodeJS.Signals): void => {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, sig);
      } catch {
        // group or process already gone
      }
    }
  };
  if (!isProcessAlive(pid)) return;
  signal('SIGTERM');
  try {
    await waitUntil(async () => !isProcessAlive(pid), { timeoutMs: graceMs, intervalMs: 50, failureMessage: () => '' });
  } catch {
    signal('SIGKILL');
    await waitUntil(async () => !isProcessAlive(pid), {
      timeoutMs: 2000,
      intervalMs: 50,
      failureMessage: () => `AVF_ERR_TEST_STOP: process ${pid} survived SIGKILL; check 'ps -p ${pid}'`,
    });
  }
}

/** True when a process with this pid exists (signal 0 probe; zombies count as gone). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // A zombie (exited, not yet reaped) still answers signal 0; /proc tells the truth.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

/** The last `lines` lines of a daemon's output file, for failure messages. */
export function outputTail(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}
