import { totalmem } from 'node:os';

/** The default's ceiling: 1 GiB. */
const CEILING_BYTES = 1024 * 1024 * 1024;

/**
 * AVFLEET_MAX_INFLIGHT_BYTES's default: an eighth of the machine's memory, at most 1 GiB,
 * and never less than two messages of the largest size (AVFLEET_MAX_MESSAGE_BYTES).
 */
export function defaultInflightBytes(maxMessageBytes: number, totalMemoryBytes: number = totalmem()): number {
  return Math.max(2 * maxMessageBytes, Math.min(CEILING_BYTES, Math.floor(totalMemoryBytes / 8)));
}
