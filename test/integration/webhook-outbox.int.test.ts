import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { Registry } from 'prom-client';
import {
  NOOP_LOGGER, WEBHOOK_QUEUE, createFleetMetrics, openWebhookOutbox, serveWebhookQueue, type FleetMetrics, type RetroDetection, type ServedWebhookQueue, type WebhookOutbox,
} from '@avfleet/core';
import type { WebhookSettings } from '@avfleet/config';
import { freePort, renderTestConfig, startFleetProcess } from '../helpers/fleet-processes';
import { parsePromText, sampleSum } from '../helpers/prometheus-text';
import { cleanupPrefix, testPrefix, teardownThenDisconnect } from '../helpers/redis-prefix';
import { testServices } from '../helpers/test-services';
import { waitUntil } from '../helpers/wait-until';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

/**
 * The webhook outbox on a real Redis (README "Webhook"): events go through the BullMQ queue
 * `webhook` to a real HTTP receiver (node:http) that checks the signature. The announcing side
 * and the serving side are opened apart, as in the fleet (the retro-scan announces, workers
 * serving aggregate deliver).
 */

jest.setTimeout(30_000);

const services = testServices();
const SECRET = 'integration-webhook-secret';
const redis = new Redis(services.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
const bull = new Redis(services.redisUrl, { maxRetriesPerRequest: null });
const prefixes: string[] = [];
const closers: (() => Promise<void>)[] = [];

afterAll(() =>
  teardownThenDisconnect(redis, async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    for (const p of prefixes) await cleanupPrefix(redis, p);
    bull.disconnect();
  }),
);

const detection = (id: string): RetroDetection => ({
  type: 'retro_detection', id, rule: 'clamav', viruses: ['Retro.Webhook.Test'], digest: 'cd'.repeat(32), signatureVersion: '27401', detectedAt: new Date().toISOString(),
  carriers: [{ scanId: 'scan-1', time: new Date(Date.now() - 3600_000).toISOString(), queueId: '4AbCdE', from: 'a@example.org', recipients: ['b@example.net', 'c@example.net'], messageId: '<m-1@example.org>' }],
  carriersTruncated: false,
});

/** One fleet's outbox: its prefix, settings, the two sides, and the counter they share. */
function fleet(label: string, receiver: WebhookReceiver, attempts: number) {
  const prefix = testPrefix(`webhook-${label}`);
  prefixes.push(prefix);
  const bullPrefix = prefix.slice(0, -1);
  const settings: { webhook: WebhookSettings } = { webhook: { url: receiver.url, secret: SECRET, timeoutSec: 0.5, attempts, maxWaiting: 100 } };
  const metrics: FleetMetrics = createFleetMetrics(new Registry(), { defaultMetrics: false });
  const announcer = (): WebhookOutbox => {
    const o = openWebhookOutbox({ settings, connection: bull, prefix: bullPrefix, metrics, logger: NOOP_LOGGER, backoffMs: 100 });
    closers.push(() => o.close());
    return o;
  };
  const serve = (): ServedWebhookQueue => {
    const s = serveWebhookQueue({ settings, connection: bull, prefix: bullPrefix, metrics, logger: NOOP_LOGGER, stalled: { stalledInterval: 5000, lockDuration: 5000 } });
    if (!s) throw new Error('serveWebhookQueue returned null with a URL set');
    closers.push(() => s.close());
    return s;
  };
  const outcomes = async (): Promise<Record<string, number>> =>
    Object.fromEntries((await metrics.webhookDeliveries.get()).values.map((v) => [String(v.labels.outcome), v.value]));
  const queue = new Queue(WEBHOOK_QUEUE, { connection: bull, prefix: bullPrefix });
  closers.push(() => queue.close());
  return { announcer, serve, outcomes, queue };
}

describe('webhook outbox', () => {
  it('retries a 500 and a timeout with backoff, then delivers exactly once: signature valid, body = the event JSON; the event waits out a restart of the announcing process', async () => {
    const receiver = await startWebhookReceiver({ secret: SECRET, script: [500, 'hang'], then: 200 });
    closers.push(() => receiver.close());
    const f = fleet('retry', receiver, 5);
    const d = detection('01JWEBHOOKRETRY00000000000');
    // Announced while no worker serves the outbox, and the announcing side closed: the event is in Redis alone.
    const outbox = f.announcer();
    await outbox.announce(d);
    await outbox.announce(d); // the same detection again (a retro-scan job run twice): queued once
    await outbox.close();
    expect(await f.queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
    expect(receiver.received).toEqual([]);

    f.serve();
    await waitUntil(async () => receiver.received.some((r) => r.status === 200), { timeoutMs: 10_000, failureMessage: () => `received: ${JSON.stringify(receiver.received.map((r) => r.status))}` });
    await waitUntil(async () => (await f.queue.getJobCounts('completed', 'waiting', 'delayed', 'active', 'failed')).failed === 0 && (await f.outcomes()).delivered === 1, {
      timeoutMs: 5000, failureMessage: () => 'the job did not complete',
    });
    // Nothing more comes once it is delivered.
    await new Promise((r) => setTimeout(r, 800));
    expect(receiver.received.map((r) => r.status)).toEqual([500, 'hang', 200]);
    const accepted = receiver.received.filter((r) => r.status === 200);
    expect(accepted).toHaveLength(1);
    expect(accepted[0]?.verdict).toBe('valid');
    expect(JSON.parse(accepted[0]?.body.toString('utf8') ?? '')).toEqual(d);
    expect(accepted[0]?.body.toString('utf8')).toBe(JSON.stringify(d));
    // Every attempt carried the same body, each signed with its own timestamp.
    expect(new Set(receiver.received.map((r) => r.body.toString('utf8'))).size).toBe(1);
    expect(receiver.received.map((r) => r.verdict)).toEqual(['valid', 'valid', 'valid']);
    expect(await f.outcomes()).toEqual({ retried: 2, delivered: 1 });
    expect(await f.queue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed')).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0 });
  });

  it('a receiver answering 400 gets the event once: no retries, the job failed and kept, counted rejected', async () => {
    const receiver = await startWebhookReceiver({ secret: SECRET, then: 400 });
    closers.push(() => receiver.close());
    const f = fleet('reject', receiver, 5);
    f.serve();
    await f.announcer().announce(detection('01JWEBHOOKREJECT0000000000'));
    await waitUntil(async () => (await f.queue.getJobCounts('failed')).failed === 1, { timeoutMs: 10_000, failureMessage: () => `received ${receiver.received.length}` });
    // Four backoffs (100, 200, 400, 800 ms) would have passed by now had it been retried.
    await new Promise((r) => setTimeout(r, 2 * 1500 + 1000));
    expect(receiver.received.map((r) => r.status)).toEqual([400]);
    expect(receiver.received[0]?.verdict).toBe('valid');
    expect(await f.outcomes()).toEqual({ rejected: 1 });
  });

  it('gives up after the configured attempts (503 every time), counted exhausted', async () => {
    const receiver = await startWebhookReceiver({ secret: SECRET, then: 503 });
    closers.push(() => receiver.close());
    const f = fleet('exhaust', receiver, 3);
    f.serve();
    await f.announcer().announce(detection('01JWEBHOOKEXHAUST000000000'));
    await waitUntil(async () => (await f.queue.getJobCounts('failed')).failed === 1, { timeoutMs: 10_000, failureMessage: () => `received ${receiver.received.length}` });
    expect(receiver.received.map((r) => r.status)).toEqual([503, 503, 503]);
    expect(await f.outcomes()).toEqual({ retried: 2, exhausted: 1 });
  });

  it('an `avfleet worker` process (serving aggregate) serves the outbox when AVFLEET_WEBHOOK_URL is set: delivers a signed event, counts it, samples the webhook queue', async () => {
    const receiver = await startWebhookReceiver({ secret: SECRET, then: 200 });
    closers.push(() => receiver.close());
    const prefix = testPrefix('webhook-worker');
    prefixes.push(prefix);
    const configPath = renderTestConfig('reference-clamav.conf', { CLAMD: `${services.clamd.host}:${services.clamd.port}`, PREFIX: `${prefix}cache_` });
    closers.push(async () => rmSync(dirname(configPath), { recursive: true, force: true }));
    const worker = await startFleetProcess({
      role: 'worker', configPath, listen: `127.0.0.1:${await freePort()}`,
      env: { AVFLEET_QUEUE_PREFIX: prefix.slice(0, -1), AVFLEET_REDIS_URL: services.redisUrl, AVFLEET_WEBHOOK_URL: receiver.url, AVFLEET_WEBHOOK_SECRET: SECRET, AVFLEET_STORE_RETENTION: 'off' },
    });
    closers.push(() => worker.stop());
    expect(worker.logs()).toMatch(/"queues":\[[^\]]*"webhook"/);
    expect(worker.logs()).not.toContain(SECRET);
    const metrics = createFleetMetrics(new Registry(), { defaultMetrics: false });
    const outbox = openWebhookOutbox({ settings: { webhook: { url: receiver.url, secret: SECRET, timeoutSec: 5, attempts: 3, maxWaiting: 100 } }, connection: bull, prefix: prefix.slice(0, -1), metrics, logger: NOOP_LOGGER });
    closers.push(() => outbox.close());
    const d = detection('01JWEBHOOKWORKER0000000000');
    await outbox.announce(d);
    await waitUntil(async () => receiver.received.length === 1, { timeoutMs: 10_000, failureMessage: () => `nothing received\n${worker.logs()}` });
    expect(receiver.received[0]?.verdict).toBe('valid');
    expect(receiver.received[0]?.body.toString('utf8')).toBe(JSON.stringify(d));
    // Queue depths are sampled every 5 s: 2 × 5 s + 1 s.
    await waitUntil(async () => {
      const scrape = parsePromText(await (await fetch(`${worker.baseUrl}/metrics`)).text());
      return sampleSum(scrape, 'avfleet_webhook_deliveries_total', { outcome: 'delivered' }) === 1
        && scrape.samples.some((x) => x.name === 'avfleet_queue_jobs' && x.labels.queue === 'webhook' && x.labels.lane === '0');
    }, { timeoutMs: 11_000, failureMessage: () => `no delivered count or webhook queue depth on the worker's /metrics\n${worker.logs()}` });
  });
});
