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

/** Polls `check` until it returns true or the bounded wait runs out (a check that throws counts as false). */
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
