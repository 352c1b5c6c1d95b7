export interface RefreshedValueOptions {
  /** How long a fetched value is served before the next `get` fetches again (ms). */
  readonly ttlMs: number;
  /** When a refresh fails, serve the last value that was fetched (if any) instead of rejecting. Default false. */
  readonly serveStaleOnError?: boolean;
  /** Clock (ms), for tests. */
  readonly now?: () => number;
}

/**
 * A value fetched at most once per `ttlMs`, with at most one fetch in flight: callers that
 * arrive while it runs share it, so a burst of requests is one round trip. A fresh value
 * comes back as an already-resolved promise (no timer, no I/O).
 * Used for the signature versions (clamd's VERSION; the versions workers publish in Redis)
 * and the queue depth behind back-pressure.
 */
export class RefreshedValue<T> {
  private last: { readonly value: T; readonly at: number } | null = null;
  private inflight: Promise<T> | null = null;
  private readonly now: () => number;

  constructor(private readonly fetch: () => Promise<T>, private readonly options: RefreshedValueOptions) {
    this.now = options.now ?? Date.now;
  }

  get(): Promise<T> {
    const last = this.last;
    if (last && this.now() - last.at < this.options.ttlMs) return Promise.resolve(last.value);
    this.inflight ??= this.refresh().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async refresh(): Promise<T> {
    try {
      const value = await this.fetch();
      this.last = { value, at: this.now() };
      return value;
    } catch (err) {
      if (this.options.serveStaleOnError && this.last) return this.last.value;
      throw err;
    }
  }
}
