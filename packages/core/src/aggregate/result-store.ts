import type { Redis } from 'ioredis';
import type { ScanResult } from '../contracts/scan-result';
import { resultKey } from '../queue/queue-names';

/** Finished results in Redis under `<queuePrefix>:result:<id>`, kept for AVFLEET_RESULT_TTL seconds. */
export class ResultStore {
  /** Whole seconds, at least 1 (Redis refuses `EX 0`). */
  private readonly ttlSec: number;

  constructor(
    private readonly redis: Redis,
    private readonly queuePrefix: string,
    ttlSec: number,
  ) {
    this.ttlSec = Math.max(1, Math.round(ttlSec));
  }

  async save(result: ScanResult): Promise<void> {
    await this.redis.set(resultKey(this.queuePrefix, result.id), JSON.stringify(result), 'EX', this.ttlSec);
  }

  /** Saves only when no result exists yet: a re-run aggregation cannot replace the first answer. */
  async saveOnce(result: ScanResult): Promise<boolean> {
    const ok = await this.redis.set(resultKey(this.queuePrefix, result.id), JSON.stringify(result), 'EX', this.ttlSec, 'NX');
    return ok === 'OK';
  }

  async load(scanId: string): Promise<ScanResult | null> {
    const raw = await this.redis.get(resultKey(this.queuePrefix, scanId));
    return raw ? (JSON.parse(raw) as ScanResult) : null;
  }
}
