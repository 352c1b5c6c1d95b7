import type { Verdict } from '@avfleet/scanners';
import { Cluster } from 'ioredis';
import { keySlot } from '../queue/queue-lanes';
import { decodeCacheValue, encodeCacheValue } from './cache-value';
import type { DecodeOptions, EncodeOptions } from './cache-value';

/**
 * The verdict cache over Redis (docs/semantics.md §6). Never throws: a read error
 * (or a read slower than `readTimeoutMs`) is a miss, a write error is only
 * reported; both go to the optional observer (logs, metrics).
 */

/** The part of an ioredis client the cache uses. */
export interface VerdictCacheClient {
  mget(...keys: string[]): Promise<(string | null)[]>;
  setex(key: string, seconds: number, value: string): Promise<unknown>;
}

export type VerdictCacheEvent =
  | { readonly op: 'get'; readonly key: string; readonly outcome: 'hit' | 'miss' }
  | { readonly op: 'get'; readonly key: string; readonly outcome: 'error'; readonly error: Error }
  | { readonly op: 'set'; readonly key: string; readonly outcome: 'written' | 'skipped' }
  | { readonly op: 'set'; readonly key: string; readonly outcome: 'error'; readonly error: Error };

export type VerdictCacheObserver = (event: VerdictCacheEvent) => void;

export interface VerdictCacheOptions {
  readonly observer?: VerdictCacheObserver;
  /**
   * A read that takes longer counts as a miss (ioredis queues commands while
   * disconnected). Default 2000 ms; 0 disables the limit.
   */
  readonly readTimeoutMs?: number;
}

const DEFAULT_DECODE: DecodeOptions = { isHashService: false, defaultScore: null };

export class VerdictCache {
  private readonly observer: VerdictCacheObserver | undefined;
  private readonly readTimeoutMs: number;

  constructor(private readonly client: VerdictCacheClient, options: VerdictCacheOptions = {}) {
    this.observer = options.observer;
    this.readTimeoutMs = options.readTimeoutMs ?? 2000;
  }

  /** The cached verdict for `key`, or null on a miss, an unreadable value or a Redis error. */
  async get(key: string, decode: DecodeOptions = DEFAULT_DECODE): Promise<Verdict | null> {
    return (await this.getMany([key], [decode]))[0] ?? null;
  }

  /**
   * The cached verdicts for `keys` in one round trip (one MGET; on a Redis Cluster one MGET
   * per hash slot, sent together: a command's keys must share a slot): null for a miss or
   * an unreadable value; all null on a Redis error. `decodes[i]` reads `keys[i]`'s value.
   */
  async getMany(keys: readonly string[], decodes: readonly DecodeOptions[] = []): Promise<(Verdict | null)[]> {
    if (keys.length === 0) return [];
    let values: (string | null)[];
    try {
      values = await this.withTimeout(this.read(keys), keys[0]!);
    } catch (err) {
      const error = toError(err);
      for (const key of keys) this.emit({ op: 'get', key, outcome: 'error', error });
      return keys.map(() => null);
    }
    return keys.map((key, i) => {
      const value = values[i] ?? null;
      const verdict = value === null ? null : decodeCacheValue(value, decodes[i] ?? DEFAULT_DECODE);
      this.emit({ op: 'get', key, outcome: verdict === null ? 'miss' : 'hit' });
      return verdict;
    });
  }

  /** MGET, split by hash slot on a Redis Cluster. */
  private async read(keys: readonly string[]): Promise<(string | null)[]> {
    if (!(this.client instanceof Cluster) || keys.length === 1) return this.client.mget(...keys);
    const bySlot = new Map<number, number[]>();
    keys.forEach((key, i) => bySlot.set(keySlot(key), [...(bySlot.get(keySlot(key)) ?? []), i]));
    const values: (string | null)[] = keys.map(() => null);
    await Promise.all([...bySlot.values()].map(async (indexes) => {
      const got = await this.client.mget(...indexes.map((i) => keys[i]!));
      indexes.forEach((i, j) => (values[i] = got[j] ?? null));
    }));
    return values;
  }

  /**
   * Stores `verdict` for `ttlSec` seconds (rounded to an integer). Skips
   * `fail` verdicts and a TTL ≤ 0. Resolves to true when the value was written.
   */
  async set(key: string, verdict: Verdict, ttlSec: number, encode: EncodeOptions = {}): Promise<boolean> {
    const ttl = Math.round(ttlSec);
    const value = encodeCacheValue(verdict, encode);
    if (value === null || !Number.isFinite(ttl) || ttl <= 0) {
      this.emit({ op: 'set', key, outcome: 'skipped' });
      return false;
    }
    try {
      await this.client.setex(key, ttl, value);
    } catch (err) {
      this.emit({ op: 'set', key, outcome: 'error', error: toError(err) });
      return false;
    }
    this.emit({ op: 'set', key, outcome: 'written' });
    return true;
  }

  private withTimeout<T>(promise: Promise<T>, key: string): Promise<T> {
    if (this.readTimeoutMs <= 0) return promise;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`AVF_ERR_CACHE_TIMEOUT: reading ${key} took over ${this.readTimeoutMs} ms; check Redis`)),
        this.readTimeoutMs,
      );
      timer.unref();
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  private emit(event: VerdictCacheEvent): void {
    if (this.observer === undefined) return;
    try {
      this.observer(event);
    } catch {
      // an observer must not break scanning
    }
  }
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
