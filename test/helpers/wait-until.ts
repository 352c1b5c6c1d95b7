import { readFileSync } from 'node:fs';

/** Polls `check` until it returns true or the bounded wait runs out. */
export interface WaitUntilOptions {
  /** Upper bound for the whole wait. */
  timeoutMs: number;
  /** Pause between two checks (default 100 ms). */
  intervalMs?: number;
  /** Called when the wait fails, to build an error message that says what to do. */
  failureMessage: () => string;
  /** Optional early abort: when it returns a message, stop waiting and fail with it
   *  (e.g. "the process exited"). */
  abortWhen?: () => string | undefined;
}

export async function waitUntil(check: () => Promise<boolean>, options: WaitUntilOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 100;
  for (;;) {
    const aborted = options.abortWhen?.();
    if (aborted !== undefined) throw new Error(aborted);
    if (await check().catch(() => false)) return;
    if (Date.now() >= deadline) throw new Error(options.failureMessage());
    await new Promise((r) => setTimeout(r, interval));
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
