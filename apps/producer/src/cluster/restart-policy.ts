/**
 * When the producer cluster's primary restarts a child that died, and when it
 * gives up. A child that dies soon after it started (or before it was ready)
 * is a "quick" exit: quick exits in a row back off (1 s, 2 s, 4 s …) and after
 * `maxQuickExits` of them the primary stops, since something outside the
 * process (Redis, the store, the configuration, memory) keeps killing it and
 * restarting would only spin. A child that lived long resets the count.
 */

export interface RestartPolicyOptions {
  /** A child that lived less than this (or never became ready) exited quickly. */
  readonly quickExitMs: number;
  /** Quick exits in a row after which the primary gives up. */
  readonly maxQuickExits: number;
  /** Delay before restarting after the first quick exit; doubles with each further one. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = Object.freeze({ quickExitMs: 10_000, maxQuickExits: 5, baseDelayMs: 1000, maxDelayMs: 8000 });

export type RestartDecision =
  | { readonly action: 'restart'; readonly delayMs: number }
  | { readonly action: 'give-up'; readonly quickExits: number };

export class RestartPolicy {
  private quickExits = 0;

  constructor(private readonly opts: RestartPolicyOptions = DEFAULT_RESTART_POLICY) {}

  /** What to do about a child that exited unexpectedly after `uptimeMs`; `wasReady` = it had said it was ready. */
  onUnexpectedExit(uptimeMs: number, wasReady: boolean): RestartDecision {
    const quick = !wasReady || uptimeMs < this.opts.quickExitMs;
    if (!quick) {
      this.quickExits = 0;
      return { action: 'restart', delayMs: 0 };
    }
    this.quickExits += 1;
    if (this.quickExits >= this.opts.maxQuickExits) return { action: 'give-up', quickExits: this.quickExits };
    return { action: 'restart', delayMs: Math.min(this.opts.baseDelayMs * 2 ** (this.quickExits - 1), this.opts.maxDelayMs) };
  }
}
