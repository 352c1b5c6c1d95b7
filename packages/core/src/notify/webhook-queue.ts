import type { JobsOptions } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import type { FleetSettings } from '@avfleet/config';
import type { RetroDetection } from '../contracts/retro-detection';
import type { FleetMetrics } from '../observe/fleet-metrics';
import type { Logger } from '../observe/logger';

/**
 * The outbox: a BullMQ queue named `webhook` holding one job per event until the receiver has
 * it (README "Webhook"). It lives in lane 0 (queue/queue-lanes.ts: the plain
 * AVFLEET_QUEUE_PREFIX on one Redis, lane 0's hash tag on a Redis Cluster, where BullMQ needs
 * every key of a queue in one slot): a handful of events needs no spreading over lanes.
 */
export const WEBHOOK_QUEUE = 'webhook';

/** What both sides of the outbox (open-webhook-outbox.ts, serve-webhook-queue.ts) are opened with. */
export interface WebhookQueueDeps {
  readonly settings: Pick<FleetSettings, 'webhook'>;
  /** BullMQ's connection of the process (RedisConnections.bull). */
  readonly connection: Redis | Cluster;
  /** webhookQueuePrefix(lanes.prefixes). */
  readonly prefix: string;
  readonly metrics: Pick<FleetMetrics, 'webhookDeliveries'>;
  readonly logger: Logger;
}

/** The job: the exact body every attempt sends, so a retry sends the same bytes (only the timestamp and signature change). */
export interface WebhookJobData {
  readonly body: string;
}

/** The first retry waits this long; each next one twice as long as the one before (BullMQ's exponential backoff). */
export const WEBHOOK_BACKOFF_MS = 1000;

/** Jobs at once per worker process serving the outbox. */
export const WEBHOOK_CONCURRENCY = 4;

/** Failed events (rejected or exhausted) are kept this long, at most this many, for an operator to look at. */
const KEEP_FAILED = { age: 7 * 24 * 3600, count: 1000 };

/** The BullMQ prefix of the outbox: lane 0's. */
export function webhookQueuePrefix(lanePrefixes: readonly string[]): string {
  const first = lanePrefixes[0];
  if (first === undefined) throw new Error('the webhook outbox needs the queue lanes: none were opened');
  return first;
}

/**
 * Options of one event's job. Its id is the detection's id, so announcing the same detection
 * twice (a retro-scan job run again) queues it once while it waits. A delivered job is removed.
 */
export function webhookJobOptions(d: Pick<RetroDetection, 'id'>, attempts: number, backoffMs: number = WEBHOOK_BACKOFF_MS): JobsOptions {
  return { jobId: `retro-${d.id}`, attempts, backoff: { type: 'exponential', delay: backoffMs }, removeOnComplete: true, removeOnFail: KEEP_FAILED };
}

/** The body of an event: its JSON, UTF-8. */
export function webhookBody(d: RetroDetection): string {
  return JSON.stringify(d);
}
