import type { Cluster, Redis } from 'ioredis';
import type { ScanResult } from '../contracts/scan-result';
import { LuaScript } from '../queue/lua-script';
import { cancelledKey, resultKey } from '../queue/queue-names';

/**
 * Saves a result unless the scan is cancelled, atomically (a script): KEYS[1] the result,
 * KEYS[2] the cancel mark; ARGV[1] the JSON, ARGV[2] the TTL, ARGV[3] `NX` or ``, ARGV[4]
 * the channel of the producer waiting for it or ``: a saved result is published there
 * (intake/await-result.ts), so the waiting producer needs no read of its own. With a
 * KEYS[3] (the scan's state, on one Redis: SAVE_AND_REMOVE) that key is removed once the
 * scan has its answer — saved now, saved before, or cancelled — never before the SET.
 */
const SAVE_SOURCE = `
local function answered(r)
  if KEYS[3] then redis.call('DEL', KEYS[3]) end
  return r
end
if redis.call('EXISTS', KEYS[2]) == 1 then return answered(0) end
if ARGV[3] == 'NX' then
  if not redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2], 'NX') then return answered(0) end
else
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
end
if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[4], ARGV[1]) end
return answered(1)`;
const SAVE_UNLESS_CANCELLED = new LuaScript(SAVE_SOURCE, 2);
const SAVE_AND_REMOVE = new LuaScript(SAVE_SOURCE, 3);

/**
 * Finished results in Redis under `<queuePrefix>:result:<id>`, kept for AVFLEET_RESULT_TTL seconds.
 * A cancelled scan (`cancel`: its submission was refused) never gets one: the mark and the
 * result are checked and written atomically, and cancelling removes a result saved before.
 */
export class ResultStore {
  /** Whole seconds, at least 1 (Redis refuses `EX 0`). */
  private readonly ttlSec: number;

  constructor(
    /** A Redis Cluster too: a result and its cancel mark share a hash slot (queue-names.ts). */
    private readonly redis: Redis | Cluster,
    private readonly queuePrefix: string,
    ttlSec: number,
  ) {
    this.ttlSec = Math.max(1, Math.round(ttlSec));
  }

  /** Saves the result; a cancelled scan's is not saved. */
  async save(result: ScanResult): Promise<void> {
    await this.saveUnlessCancelled(result, '');
  }

  /**
   * Saves only when no result exists yet (a re-run aggregation cannot replace the first answer) and the scan is not
   * cancelled; a saved result is published on `notify` (the waiting producer's channel) when given. `removeWith`: a
   * key removed in the same script once the scan is answered (the scan's state, one Redis only: not in the result's slot).
   */
  async saveOnce(result: ScanResult, notify?: string, removeWith?: string): Promise<boolean> {
    return this.saveUnlessCancelled(result, 'NX', notify ?? '', removeWith);
  }

  /** Marks the scan cancelled (for the TTL) and removes any result it has: none is ever readable after. */
  async cancel(scanId: string): Promise<void> {
    await this.redis.multi().set(cancelledKey(this.queuePrefix, scanId), '1', 'EX', this.ttlSec).del(resultKey(this.queuePrefix, scanId)).exec();
  }

  private async saveUnlessCancelled(result: ScanResult, mode: 'NX' | '', notify = '', removeWith?: string): Promise<boolean> {
    const keys = [resultKey(this.queuePrefix, result.id), cancelledKey(this.queuePrefix, result.id), ...(removeWith === undefined ? [] : [removeWith])];
    const script = removeWith === undefined ? SAVE_UNLESS_CANCELLED : SAVE_AND_REMOVE;
    return (await script.run(this.redis, ...keys, JSON.stringify(result), String(this.ttlSec), mode, notify)) === 1;
  }

  async load(scanId: string): Promise<ScanResult | null> {
    const raw = await this.redis.get(resultKey(this.queuePrefix, scanId));
    return raw ? (JSON.parse(raw) as ScanResult) : null;
  }
}
