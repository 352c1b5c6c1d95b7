import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { FleetMetrics } from '../observe/fleet-metrics';
import type { Logger } from '../observe/logger';
import { classifyWebhookAttempt, describeWebhookAttempt } from './classify-webhook-reply';
import { postWebhook } from './post-webhook';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, webhookSignature } from './webhook-signature';
import { WEBHOOK_CONCURRENCY, WEBHOOK_QUEUE, type WebhookJobData, type WebhookQueueDeps } from './webhook-queue';

/** Where and how events are POSTed. */
export interface WebhookTarget {
  readonly url: string;
  readonly secret: string | null;
  readonly timeoutMs: number;
}

/** The request headers of one attempt: JSON, the event id, and (with a secret) the timestamp and signature of webhook-signature.ts. */
export function webhookHeaders(target: Pick<WebhookTarget, 'secret'>, eventId: string, body: Buffer, nowMs: number): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'avfleet-webhook', [EVENT_ID_HEADER]: eventId };
  if (target.secret !== null) {
    const timestamp = String(Math.floor(nowMs / 1000));
    headers[TIMESTAMP_HEADER] = timestamp;
    headers[SIGNATURE_HEADER] = webhookSignature(target.secret, timestamp, body);
  }
  return headers;
}

/**
 * The BullMQ processor of the outbox: one attempt per run. A 2xx completes the job; a
 * permanent refusal fails it without retries (UnrecoverableError); anything retryable throws,
 * and BullMQ tries again after the backoff until the job's attempts are used up. Counted in
 * avfleet_webhook_deliveries_total and logged (AVF_WARN_WEBHOOK_REJECTED, AVF_WARN_WEBHOOK_GAVE_UP).
 */
export function createWebhookProcessor(opts: {
  readonly target: WebhookTarget;
  readonly metrics: Pick<FleetMetrics, 'webhookDeliveries'>;
  readonly logger: Logger;
  readonly now?: () => number;
}): (job: Pick<Job<WebhookJobData>, 'id' | 'data' | 'attemptsMade' | 'opts'>) => Promise<void> {
  const { target, metrics, logger } = opts;
  const now = opts.now ?? Date.now;
  return async (job) => {
    const body = Buffer.from(job.data.body, 'utf8');
    const eventId = eventIdOf(job.data.body, job.id);
    const attempt = await postWebhook({ url: target.url, body, headers: webhookHeaders(target, eventId, body, now()), timeoutMs: target.timeoutMs });
    const disposition = classifyWebhookAttempt(attempt);
    const attemptNo = job.attemptsMade + 1;
    const attempts = job.opts.attempts ?? 1;
    const seen = { id: eventId, attempt: attemptNo, attempts, reply: describeWebhookAttempt(attempt) };
    if (disposition === 'delivered') {
      metrics.webhookDeliveries.inc({ outcome: 'delivered' });
      logger.info(seen, 'webhook event delivered');
      return;
    }
    if (disposition === 'permanent') {
      metrics.webhookDeliveries.inc({ outcome: 'rejected' });
      logger.warn({ code: 'AVF_WARN_WEBHOOK_REJECTED', ...seen }, 'the webhook receiver refused the event; it is not retried: check AVFLEET_WEBHOOK_URL and the receiver (its secret, its path)');
      throw new UnrecoverableError(`webhook receiver refused the event: ${seen.reply}`);
    }
    if (attemptNo >= attempts) {
      metrics.webhookDeliveries.inc({ outcome: 'exhausted' });
      logger.warn({ code: 'AVF_WARN_WEBHOOK_GAVE_UP', ...seen }, 'the webhook event was not delivered after every attempt; it stays among the webhook queue\'s failed jobs for 7 days');
    } else {
      metrics.webhookDeliveries.inc({ outcome: 'retried' });
      logger.info(seen, 'webhook attempt failed; retried after the backoff');
    }
    throw new Error(`webhook attempt failed: ${seen.reply}`);
  };
}

/** The event's own id when the body is one (it is: webhookBody), else the job's. */
function eventIdOf(body: string, jobId: string | undefined): string {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id;
    if (typeof id === 'string') return id;
  } catch {
    // not JSON: fall back to the job id
  }
  return jobId ?? 'unknown';
}

/** The outbox served by one process, and its queue for depth sampling. */
export interface ServedWebhookQueue {
  readonly worker: Worker<WebhookJobData>;
  /** The outbox's queue (for sampleQueueDepths: avfleet_queue_jobs{queue="webhook"}). */
  readonly queue: Queue<WebhookJobData>;
  close(): Promise<void>;
}

/**
 * Serves the outbox (workers serving `aggregate`, when AVFLEET_WEBHOOK_URL is set): a BullMQ
 * worker on the `webhook` queue under `prefix` (webhookQueuePrefix). Warns once when events go
 * unsigned (AVF_WARN_WEBHOOK_UNSIGNED). Returns null without a URL.
 */
export function serveWebhookQueue(opts: WebhookQueueDeps & {
  /** BullMQ's stalledInterval and lockDuration, as the worker's other queues. */
  readonly stalled?: { readonly stalledInterval: number; readonly lockDuration: number };
}): ServedWebhookQueue | null {
  const { url, secret, timeoutSec } = opts.settings.webhook;
  if (url === null) return null;
  if (secret === null) {
    opts.logger.warn({ code: 'AVF_WARN_WEBHOOK_UNSIGNED' }, 'AVFLEET_WEBHOOK_SECRET is not set: webhook events are sent unsigned, and a receiver cannot tell them from forged ones; set a secret');
  }
  const processor = createWebhookProcessor({ target: { url, secret, timeoutMs: Math.round(timeoutSec * 1000) }, metrics: opts.metrics, logger: opts.logger });
  const worker = new Worker<WebhookJobData>(WEBHOOK_QUEUE, processor, { connection: opts.connection, prefix: opts.prefix, concurrency: WEBHOOK_CONCURRENCY, ...opts.stalled });
  const queue = new Queue<WebhookJobData>(WEBHOOK_QUEUE, { connection: opts.connection, prefix: opts.prefix });
  return {
    worker,
    queue,
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
