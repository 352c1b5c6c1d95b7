/** Notify (after the retro-scan): the webhook outbox that delivers retro detections. Re-exported by packages/core/src/index.ts. */
export { classifyWebhookAttempt, describeWebhookAttempt } from './classify-webhook-reply';
export type { WebhookAttempt, WebhookDisposition } from './classify-webhook-reply';
export { createWebhookOutbox, openWebhookOutbox } from './open-webhook-outbox';
export type { OutboxQueue, WebhookOutbox } from './open-webhook-outbox';
export { postWebhook } from './post-webhook';
export { createWebhookProcessor, serveWebhookQueue, webhookHeaders } from './serve-webhook-queue';
export type { ServedWebhookQueue, WebhookTarget } from './serve-webhook-queue';
export { WEBHOOK_BACKOFF_MS, WEBHOOK_CONCURRENCY, WEBHOOK_QUEUE, webhookBody, webhookJobOptions, webhookQueuePrefix } from './webhook-queue';
export type { WebhookJobData, WebhookQueueDeps } from './webhook-queue';
export { DEFAULT_TOLERANCE_SEC, EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhookSignature, webhookSignature } from './webhook-signature';
export type { WebhookVerdict } from './webhook-signature';
