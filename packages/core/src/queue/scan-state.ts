import type { AggregateJobData } from '../contracts/aggregate-job-data';
import type { ScanJobResult } from '../contracts/scan-job-data';
import { LuaScript, type ScriptRedis } from './lua-script';
import { scanStateKey } from './queue-names';

/**
 * Records one part's verdict and counts the parts still to come, atomically, on the
 * scan's own key only (KEYS[1]). ARGV[1] the part's field, ARGV[2] its verdict JSON.
 * Idempotent by part: a retried part job (its worker was killed after recording) finds
 * its field set and only reads the count. Returns the parts still to come, or -1 when the
 * scan is gone (finished or cancelled: the key the HSETNX created again is removed). When
 * none is left (this part was the last, or a retry of the last) it returns the whole hash
 * instead (HGETALL), which the aggregation reads: the last part's record and the scan's
 * read are one round trip (D62).
 */
const RECORD_PART = new LuaScript(`
local left
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  left = tonumber(redis.call('HGET', KEYS[1], 'left') or '-1')
else
  left = redis.call('HINCRBY', KEYS[1], 'left', -1)
  if left < 0 then
    redis.call('DEL', KEYS[1])
    return -1
  end
end
if left == 0 then return redis.call('HGETALL', KEYS[1]) end
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

/** What recording a part found: the parts still to come (-1: the scan is gone) and, when none is left, the scan as recorded. */
export type RecordOutcome = { readonly left: number; readonly scan?: undefined } | { readonly left: 0; readonly scan: RecordedScan };

/** The field of one (rule, part): unambiguous whatever the rule's name. */
function partField(rule: string, partIndex: string | null): string {
  return PART_PREFIX + JSON.stringify([rule, partIndex]);
}

/** A scan state's fields as the aggregation reads them, or null without its input (no such scan). */
function recordedScan(fields: Readonly<Record<string, string>>): RecordedScan | null {
  const job = fields[JOB_FIELD];
  if (job === undefined) return null;
  const results: ScanJobResult[] = [];
  for (const [field, value] of Object.entries(fields)) {
    if (field.startsWith(PART_PREFIX)) results.push(JSON.parse(value) as ScanJobResult);
  }
  return { data: JSON.parse(job) as AggregateJobData, results };
}

/**
 * One scan's state in one Redis hash (`scanStateKey`): the aggregation input the producer
 * wrote before any part job existed, the number of parts still to come, and each part's
 * verdict as its worker recorded it. The worker recording the last part gets the hash with
 * its record and aggregates it, or enqueues the aggregation job (queue/complete-part.ts); the
 * aggregation removes the hash once the result is stored. No TTL, as the flow's parent job had none: a scan stays until
 * it is aggregated or cancelled.
 */
export class ScanStateStore {
  constructor(
    private readonly redis: ScanStateRedis,
    private readonly queuePrefix: string,
  ) {}

  /** The key of a scan's state (queue-names.ts scanStateKey). */
  keyOf(scanId: string): string {
    return scanStateKey(this.queuePrefix, scanId);
  }

  /** Writes a new scan's state (one HSET): before its part jobs are added. */
  async open(job: AggregateJobData): Promise<void> {
    await this.redis.hset(scanStateKey(this.queuePrefix, job.scanId), {
      [JOB_FIELD]: JSON.stringify(job), [LEFT_FIELD]: job.expected.length, [COUNT_FIELD]: job.expected.length,
    });
  }

  /** Records a part's verdict; the parts still to come (0: aggregate now), or -1 when the scan is gone. */
  async record(scanId: string, result: ScanJobResult): Promise<number> {
    return (await this.recordAndRead(scanId, result)).left;
  }

  /** Records a part's verdict, as `record`; when it leaves no part to come, the scan as recorded comes with the count (one round trip). */
  async recordAndRead(scanId: string, result: ScanJobResult): Promise<RecordOutcome> {
    const args = [scanStateKey(this.queuePrefix, scanId), partField(result.rule, result.partIndex), JSON.stringify(result)];
    const reply = await RECORD_PART.run(this.redis, ...args);
    if (!Array.isArray(reply)) return { left: Number(reply) };
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < reply.length; i += 2) fields[String(reply[i])] = String(reply[i + 1]);
    const scan = recordedScan(fields);
    return scan ? { left: 0, scan } : { left: -1 };
  }

  /** The scan's input and the verdicts recorded so far, or null when it is finished, cancelled or unknown. */
  async read(scanId: string): Promise<RecordedScan | null> {
    return recordedScan(await this.redis.hgetall(scanStateKey(this.queuePrefix, scanId)));
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
