/** Rspamd's request headers plus avfleet's Score and Deadline (docs/interfaces.md §3). */
export interface RequestMeta {
  readonly ip: string | null;
  readonly helo: string | null;
  readonly hostname: string | null;
  readonly from: string | null;
  readonly rcpt: readonly string[];
  readonly queueId: string | null;
  readonly user: string | null;
  /** The message's current score from earlier filters (dynamic_scan). */
  readonly score: number | null;
  /** Seconds the caller can still wait. */
  readonly deadlineSec: number | null;
}

export const EMPTY_META: RequestMeta = Object.freeze({
  ip: null, helo: null, hostname: null, from: null, rcpt: [], queueId: null, user: null, score: null, deadlineSec: null,
});
