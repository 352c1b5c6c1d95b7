import { Queue } from 'bullmq';
import type { FleetSettings } from '@avfleet/config';
import type { RetroDetection } from '../contracts/retro-detection';
import type { FleetMetrics } from '../observe/fleet-metrics';
import type { Logger } from '../observe/logger';
import { WEBHOOK_BACKOFF_MS, WEBHOOK_QUEUE, webhookBody, webhookJobOptions, type WebhookJobData, type WebhookQueueDeps } from './webhook-queue';

/** What the retro-scan calls for each detection, and how its process lets go of the outbox. */
export interface WebhookOutbox {
  /**
   * With AVFLEET_WEBHOOK_URL set, puts the detection in the outbox for the workers to POST (an
   * info line says so); without, does nothing more — the finder has logged it at warn
   * (AVF_WARN_RETRO_DETECTION, retroscan/rescan-part.ts). Resolves once it is in Redis (or dropped because the
   * outbox is full: logged, counted). Rejects when Redis cannot take it: call again (the
   * detection's id makes a second call queue it once).
   */
  announce(d: RetroDetection): Promise<void>;
  close(): Promise<void>;
}

/** Job states that still hold an event in the outbox (counted against AVFLEET_WEBHOOK_MAX_WAITING). */
const PENDING_STATES = ['waiting', 'delayed', 'active', 'prioritized'] as const;

/** What the outbox needs of its BullMQ queue (a Queue<WebhookJobData>). */
export type OutboxQueue = Pick<Queue<WebhookJobData>, 'getJobCounts' | 'add' | 'close'>;

/**
 * The announcing side of the webhook outbox (README "Webhook"), on BullMQ's connection of the
 * process. The delivering side is serveWebhookQueue, in the workers serving `aggregate`.
 */
export function openWebhookOutbox(opts: WebhookQueueDeps & {
  /** The first retry's delay (tests shorten it); default WEBHOOK_BACKOFF_MS. */
  readonly backoffMs?: number;
}): WebhookOutbox {
  let queue: Queue<WebhookJobData> | null = null;
  if (opts.settings.webhook.url !== null) {
    queue = new Queue<WebhookJobData>(WEBHOOK_QUEUE, { connection: opts.connection, prefix: opts.prefix });
    queue.on('error', (err) => opts.logger.debug({ err: err.message }, 'webhook outbox queue error'));
  }
  return createWebhookOutbox({ ...opts, queue });
}

/** The outbox over a given queue (null: no webhook, detections are only logged). */
export function createWebhookOutbox(opts: {
  readonly settings: Pick<FleetSettings, 'webhook'>;
  readonly queue: OutboxQueue | null;
  readonly metrics: Pick<FleetMetrics, 'webhookDeliveries'>;
  readonly logger: Logger;
  readonly backoffMs?: number;
}): WebhookOutbox {
  const { settings, metrics, logger, queue } = opts;
  return {
    async announce(d) {
      const seen = { id: d.id, rule: d.rule, viruses: d.viruses, digest: d.digest, signatureVersion: d.signatureVersion, carriers: d.carriers.length, carriersTruncated: d.carriersTruncated };
      if (!queue) return;
      const counts = await queue.getJobCounts(...PENDING_STATES);
      const pending = PENDING_STATES.reduce((sum, s) => sum + (counts[s] ?? 0), 0);
      if (pending >= settings.webhook.maxWaiting) {
        metrics.webhookDeliveries.inc({ outcome: 'dropped' });
        logger.warn(
          { code: 'AVF_WARN_WEBHOOK_OUTBOX_FULL', id: d.id, pending, maxWaiting: settings.webhook.maxWaiting },
          'the webhook outbox is full: this retro detection is not sent (its AVF_WARN_RETRO_DETECTION line and GET /retro-detections name it); check that the receiver answers and workers serve aggregate, or raise AVFLEET_WEBHOOK_MAX_WAITING',
        );
        return;
      }
      await queue.add('retro_detection', { body: webhookBody(d) }, webhookJobOptions(d, settings.webhook.attempts, opts.backoffMs ?? WEBHOOK_BACKOFF_MS));
      logger.info({ ...seen, webhook: 'queued' }, 'retro detection queued for the webhook');
    },
    async close() {
      await queue?.close();
    },
  };
}
