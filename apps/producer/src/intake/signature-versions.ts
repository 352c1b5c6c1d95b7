import type { Redis } from 'ioredis';
import { sigverKey } from '@avfleet/core';

/**
 * The signature version each rule's workers last published (clamd VERSION),
 * read from `<prefix>:sigver:<rule>` and kept for `ttlMs`. Null when no worker
 * published one: the producer then leaves the cache lookup to the worker.
 */
export class SignatureVersions {
  private cached = new Map<string, string | null>();
  private at = 0;
  private inflight: Promise<void> | null = null;

  constructor(
    private readonly redis: Pick<Redis, 'mget'>,
    private readonly queuePrefix: string,
    private readonly rules: readonly string[],
    private readonly ttlMs = 5000,
  ) {}

  async get(rule: string): Promise<string | null> {
    if (Date.now() - this.at > this.ttlMs) await this.refresh();
    return this.cached.get(rule) ?? null;
  }

  private refresh(): Promise<void> {
    this.inflight ??= (async () => {
      try {
        const values = this.rules.length > 0 ? await this.redis.mget(...this.rules.map((r) => sigverKey(this.queuePrefix, r))) : [];
        this.cached = new Map(this.rules.map((r, i) => [r, values[i] ?? null]));
        this.at = Date.now();
      } finally {
        this.inflight = null;
      }
    })();
    return this.inflight;
  }
}
