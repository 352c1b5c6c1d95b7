import type { AggregateJobData } from '../contracts/aggregate-job-data';
import type { ScanJobResult } from '../contracts/scan-job-data';
import { LuaScript, type ScriptRedis } from './lua-script';
import { scanStateKey } from './queue-names';

/**
 * Records one part's verdict and counts the parts still to come, atomically, on the
 * scan's own key only (KEYS[1]). ARGV[1] the part's field, ARGV[2] its verdict JSON.
 * Idempotent by part: a retried part job (its worker was killed after recording) finds
 * its field set and only reads the count. Returns the parts still to come (0: this part
 * was the last, or a retry of the last), or -1 when the scan is gone (finished or
 * cancelled: the key the HSETNX created again is removed).
 */
const RECORD_PART = new LuaScript(`
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return tonumber(redis.call('HGET', KEYS[1], 'left') or '-1')
end
local left = redis.call('HINCRBY', KEYS[1], 'left', -1)
if left < 0 then
  redis.call('DEL', KEYS[1])
  return -1
end
return left`, 1);

const JOB_FIELD = 'job';
const LEFT_FIELD = 'left';
const COUNT_FIELD = 'n';
const PART_PREFIX = 'p:';

/** The Redis commands a scan state needs (ioredis' Redis and its pipeline-free calls). */
export interface ScanStateRedis extends ScriptRedis {
  hset(key: string, fields: Record<string, string | number>): Promise<number>;
  hkeys(key: string): Promise<string[]>;
  hgetall(key: string): Promise<Record<string, string>>;
  hmget(key: string, ...fields: string[]): Promise<(string | null)[]>;
  del(...keys: string[]): Promise<number>;
}

/** A running scan as the aggregation reads it: its input and the part verdicts recorded so far. */
export interface RecordedScan {
  readonly data: AggregateJobData;
  readonly results: readonly ScanJobResult[];
}

/** The field of one (rule, part): unambiguous whatever the rule's name. */
function partField(rule: string, partIndex: string | null): string {
  return PART_PREFIX + JSON.stringify([rule, partIndex]);
}


/**
 * One scan's state in one Redis hash (`scanStateKey`): the aggregation input the producer
 * wrote before any part job existed, the number of parts still to come, and each part's
 * verdict as its worker recorded it. The worker recording the last part enqueues the
 * aggregation job (queue/complete-part.ts); the aggregation reads the hash and removes it
 * once the result is stored. No TTL, as the flow's parent job had none: a scan stays until
 * it is aggregated or cancelled.
 */
export class ScanStateStore {
  constructor(
    private readonly redis: ScanStateRedis,
    private readonly queuePrefix: string,
  ) {}

  /** Writes a new scan's state (one HSET): before its part jobs are added. */
  async open(job: AggregateJobData): Promise<void> {
    await this.redis.hset(scanStateKey(this.queuePrefix, job.scanId), {
      [JOB_FIELD]: JSON.stringify(job), [LEFT_FIELD]: job.expected.length, [COUNT_FIELD]: job.expected.length,
    });
  }

  /** Records a part's verdict; the parts still to come (0: aggregate now), or -1 when the scan is gone. */
  async record(scanId: string, result: ScanJobResult): Promise<number> {
    const args = [scanStateKey(this.queuePrefix, scanId), partField(result.rule, result.partIndex), JSON.stringify(result)];
    return Number(await RECORD_PART.run(this.redis, ...args));
  }

  /** The scan's input and the verdicts recorded so far, or null when it is finished, cancelled or unknown. */
  async read(scanId: string): Promise<RecordedScan | null> {
    const fields = await this.redis.hgetall(scanStateKey(this.queuePrefix, scanId));
    const job = fields[JOB_FIELD];
    if (job === undefined) return null;
    const results: ScanJobResult[] = [];
    for (const [field, value] of Object.entries(fields)) {
      if (field.startsWith(PART_PREFIX)) results.push(JSON.parse(value) as ScanJobResult);
    }
    return { data: JSON.parse(job) as AggregateJobData, results };
  }

  /**
   * Whether the scan exists and which of its parts have a verdict recorded (one HKEYS: the
   * verdicts themselves are not read); null when there is no such scan (queue/reconcile-scans.ts).
   */
  async recordedParts(scanId: string): Promise<{ has(rule: string, partIndex: string | null): boolean } | null> {
    const fields = new Set(await this.redis.hkeys(scanStateKey(this.queuePrefix, scanId)));
    if (!fields.has(JOB_FIELD)) return null;
    return { has: (rule, partIndex) => fields.has(partField(rule, partIndex)) };
  }

  /** `queued` while no part has a verdict, `running` after the first; null when there is no such scan. */
  async progress(scanId: string): Promise<'queued' | 'running' | null> {
    const [left, count] = await this.redis.hmget(scanStateKey(this.queuePrefix, scanId), LEFT_FIELD, COUNT_FIELD);
    if (left === null || count === null) return null;
    return Number(left) < Number(count) ? 'running' : 'queued';
  }

  /** Removes the scan's state (aggregated or cancelled): parts that finish later find it gone. */
  async drop(scanId: string): Promise<void> {
    await this.redis.del(scanStateKey(this.queuePrefix, scanId));
  }
}
