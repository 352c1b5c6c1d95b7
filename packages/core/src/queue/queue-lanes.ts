import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../observe/logger';

/** Hash slots of a Redis Cluster. */
export const CLUSTER_SLOTS = 16384;

/** CRC16/XMODEM, the checksum Redis Cluster hashes keys with. */
function crc16(bytes: Buffer): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The hash slot of a key, as CLUSTER KEYSLOT computes it: the first non-empty `{…}` when there is one, else the whole key. */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  return crc16(Buffer.from(key, 'utf8')) % CLUSTER_SLOTS;
}

/**
 * The BullMQ prefixes of the fleet's queue lanes (AVFLEET_QUEUE_LANES): one complete set of
 * the fleet's queues per lane, each under its own hash tag, so every key of a lane's queues
 * is in one slot (BullMQ's cluster rule) and the lanes lie in different slots. One lane
 * on one Redis keeps the plain AVFLEET_QUEUE_PREFIX (the key names of a fleet without
 * lanes). Otherwise lane i of N is `{<prefix>-<k>}` with the first k whose slot lies in
 * the middle half of the i-th N-th of the slot range: the same tags in every process that
 * has the same prefix and N, whatever the cluster's slot map, and on a cluster whose
 * masters hold equal slot ranges (as `redis-cli --cluster create` makes them) N/masters
 * lanes on each master.
 */
export function laneQueuePrefixes(queuePrefix: string, lanes: number, clustered: boolean): string[] {
  if (lanes === 1 && !clustered) return [queuePrefix];
  const base = queuePrefix.replace(/[{}]/g, '');
  const prefixes: string[] = [];
  let k = 0;
  for (let i = 0; i < lanes; i += 1) {
    const width = CLUSTER_SLOTS / lanes;
    const from = i * width + width / 4;
    const to = (i + 1) * width - width / 4;
    for (;; k += 1) {
      const slot = keySlot(`${base}-${k}`);
      if (slot >= from && slot < to) break;
    }
    prefixes.push(`{${base}-${k}}`);
    k += 1;
  }
  return prefixes;
}

/** One line of CLUSTER SLOTS: [from, to, [host, port, id], replicas…]. */
type SlotRange = [number, number, [string, number, string?], ...unknown[]];

/** The masters serving slots, by address, with their slot ranges (CLUSTER SLOTS). */
export async function clusterMasters(cluster: Pick<Cluster, 'call'>): Promise<Map<string, [number, number][]>> {
  const ranges = (await cluster.call('CLUSTER', 'SLOTS')) as SlotRange[];
  const masters = new Map<string, [number, number][]>();
  for (const [from, to, [host, port]] of ranges) {
    const address = `${host}:${port}`;
    masters.set(address, [...(masters.get(address) ?? []), [from, to]]);
  }
  return masters;
}

/** A process's queue lanes: every lane's BullMQ prefix, and the lane of the next scan. */
export interface QueueLanes {
  /** BullMQ prefix of each lane (index = lane number). */
  readonly prefixes: readonly string[];
  /** The lane for the next scan a producer enqueues: round-robin. */
  next(): number;
}

/**
 * Opens the lanes: AVFLEET_QUEUE_LANES, or by default 1 on one Redis and one per master
 * on a Redis Cluster (the masters serving slots at start-up). On a cluster, logs which
 * master holds each lane and warns when a master holds none (uneven slot ranges, or
 * fewer lanes than masters): that master then carries no queue traffic.
 */
export async function openQueueLanes(
  settings: { readonly queuePrefix: string; readonly queueLanes: number | null },
  redis: Redis | Cluster,
  clustered: boolean,
  logger: Logger,
): Promise<QueueLanes> {
  let lanes = settings.queueLanes ?? 1;
  if (clustered) {
    const masters = await clusterMasters(redis);
    lanes = settings.queueLanes ?? Math.max(1, masters.size);
    const prefixes = laneQueuePrefixes(settings.queuePrefix, lanes, true);
    const placement = prefixes.map((prefix) => {
      const slot = keySlot(prefix);
      const master = [...masters].find(([, ranges]) => ranges.some(([from, to]) => slot >= from && slot <= to))?.[0] ?? null;
      return { prefix, slot, master };
    });
    const idle = [...masters.keys()].filter((m) => !placement.some((p) => p.master === m));
    logger.info({ lanes: placement }, 'queue lanes on the Redis Cluster');
    if (idle.length > 0) logger.warn({ code: 'AVF_WARN_QUEUE_LANES_UNEVEN', idle, lanes }, 'some Redis Cluster masters hold no queue lane: raise AVFLEET_QUEUE_LANES or rebalance the slots');
    return roundRobin(prefixes);
  }
  return roundRobin(laneQueuePrefixes(settings.queuePrefix, lanes, false));
}

function roundRobin(prefixes: readonly string[]): QueueLanes {
  let turn = 0;
  return {
    prefixes,
    next: () => {
      turn = (turn + 1) % prefixes.length;
      return turn;
    },
  };
}
