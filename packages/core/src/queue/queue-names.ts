/** The aggregation queue: one parent job per message. */
export const AGGREGATE_QUEUE = 'aggregate';

/**
 * Scan queues are named by the rule (docs/interfaces.md §5). BullMQ forbids `:` in
 * queue names, and `aggregate` is taken by the aggregation queue.
 */
export function scanQueueName(ruleName: string): string {
  if (ruleName.includes(':')) {
    throw new Error(`rule name '${ruleName}' cannot be a queue name: it contains ':'; rename the rule block`);
  }
  if (ruleName === AGGREGATE_QUEUE) {
    throw new Error(`rule name '${AGGREGATE_QUEUE}' is reserved for the aggregation queue; rename the rule block`);
  }
  return ruleName;
}

/** Redis key of a stored result (kept for AVFLEET_RESULT_TTL seconds). */
export function resultKey(queuePrefix: string, scanId: string): string {
  return `${queuePrefix}:result:${scanId}`;
}

/**
 * Redis key marking a scan cancelled: its submission was refused (503) after its flow may
 * have been added. Kept for AVFLEET_RESULT_TTL seconds; no result is ever stored under it
 * (packages/core/src/aggregate/result-store.ts).
 */
export function cancelledKey(queuePrefix: string, scanId: string): string {
  // In the result key's hash slot, so that the save-unless-cancelled script and the cancel
  // transaction run on one Redis Cluster node: the hash tag is the whole result key, or —
  // when the prefix has braces — the prefix's own tag, which the result key has too.
  const result = resultKey(queuePrefix, scanId);
  return /[{}]/.test(queuePrefix) ? `${queuePrefix}:cancelled:${scanId}` : `{${result}}:cancelled`;
}

/**
 * Redis hash holding one scan while its parts are scanned (queue/scan-state.ts): the
 * aggregation input, the count of parts still to come and each part's verdict. The scan id
 * is the key's hash tag (`{…}`), so the countdown script touches one key of one slot on a
 * Redis Cluster (issue 18); a queue prefix with a hash tag of its own takes precedence
 * (Redis hashes the first `{…}`) and puts the key in the queues' slot instead, which is
 * just as valid for that script.
 */
export function scanStateKey(queuePrefix: string, scanId: string): string {
  return `${queuePrefix}:scan:{${scanId}}`;
}

/**
 * Redis key claiming the rescan of a scan whose result Redis lost (intake/rescan-stored.ts):
 * set once (NX) with a TTL, so one stored message is enqueued again once; while it lives,
 * `GET /scans/:id` answers `rescanning`. In the scan state's slot.
 */
export function rescanKey(queuePrefix: string, scanId: string): string {
  return `${queuePrefix}:rescan:{${scanId}}`;
}

/**
 * Redis key whose absence tells producers that Redis lost its data (or is new): set once
 * (NX, no TTL) by the producer that then rebuilds the recent stored messages Redis lost
 * (intake/recover-from-store.ts).
 */
export function fleetMarkerKey(queuePrefix: string): string {
  return `${queuePrefix}:fleet-marker`;
}

/** The SCAN pattern every scan state key matches (queue/oldest-pending-scan.ts lists them); glob characters of the prefix escaped. */
export function scanStatePattern(queuePrefix: string): string {
  return `${queuePrefix.replace(/[*?[\]\\]/g, '\\$&')}:scan:{*}`;
}

/**
 * Pub/sub channel on which a producer process hears that the scans it submitted are
 * finished: the result write publishes the result there (aggregate/result-store.ts).
 * Channels are not keys: a Cluster forwards a PUBLISH to every node.
 */
export function resultChannel(queuePrefix: string, producerId: string): string {
  return `${queuePrefix}:done:${producerId}`;
}

/** Redis key where workers publish a rule's current signature version. */
export function sigverKey(queuePrefix: string, ruleName: string): string {
  return `${queuePrefix}:sigver:${ruleName}`;
}
