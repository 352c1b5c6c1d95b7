import { Registry } from 'prom-client';
import type { RetroDetection } from '../contracts/retro-detection';
import { createFleetMetrics } from '../observe/fleet-metrics';
import type { Logger } from '../observe/logger';
import { createWebhookOutbox, type OutboxQueue } from './open-webhook-outbox';

const detection = (id: string): RetroDetection => ({
  type: 'retro_detection', id, rule: 'clamav', viruses: ['Retro.Test'], digest: 'ab'.repeat(32), signatureVersion: '27400', detectedAt: '2026-12-07T08:00:00.000Z',
  carriers: [{ scanId: 's1', time: '2026-12-06T08:00:00.000Z', queueId: 'Q1', from: 'a@example.org', recipients: ['b@example.net'], messageId: '<m1@example.org>' }],
  carriersTruncated: false,
});

interface Line { level: string; obj: Record<string, unknown> }

/** A queue that holds `pending` jobs and records what is added. */
function fakeQueue(pending: { waiting: number; delayed: number; active: number; prioritized: number }) {
  const added: { name: string; data: { body: string }; opts: unknown }[] = [];
  const queue: OutboxQueue = {
    getJobCounts: async () => ({ ...pending }),
    add: (async (name: string, data: { body: string }, opts: unknown) => {
      added.push({ name, data, opts });
      return {};
    }) as unknown as OutboxQueue['add'],
    close: async () => undefined,
  };
  return { queue, added };
}

function setup(url: string | null, pending = { waiting: 0, delayed: 0, active: 0, prioritized: 0 }) {
  const lines: Line[] = [];
  const at = (level: string) => (obj: object | string): void => void lines.push({ level, obj: obj as Record<string, unknown> });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  const metrics = createFleetMetrics(new Registry(), { defaultMetrics: false });
  const { queue, added } = fakeQueue(pending);
  const outbox = createWebhookOutbox({
    settings: { webhook: { url, secret: 's', timeoutSec: 10, attempts: 7, maxWaiting: 10 } }, queue: url === null ? null : queue, metrics, logger, backoffMs: 250,
  });
  const dropped = async (): Promise<number> => (await metrics.webhookDeliveries.get()).values.find((v) => v.labels.outcome === 'dropped')?.value ?? 0;
  return { outbox, added, lines, dropped };
}

describe('createWebhookOutbox', () => {
  it('queues the event JSON under the detection id with the configured attempts and exponential backoff', async () => {
    const s = setup('http://127.0.0.1:9/hook');
    const d = detection('01JAAAAAAAAAAAAAAAAAAAAAAA');
    await s.outbox.announce(d);
    expect(s.added).toEqual([{
      name: 'retro_detection', data: { body: JSON.stringify(d) },
      opts: expect.objectContaining({ jobId: `retro-${d.id}`, attempts: 7, backoff: { type: 'exponential', delay: 250 }, removeOnComplete: true }),
    }]);
    expect(JSON.parse(s.added[0]?.data.body ?? '')).toEqual(d);
    expect(s.lines.map((l) => [l.level, l.obj.id, l.obj.webhook])).toEqual([['info', d.id, 'queued']]);
  });

  it('is bounded: with AVFLEET_WEBHOOK_MAX_WAITING events pending, a new one is dropped, warned with a stable code and counted', async () => {
    const s = setup('http://127.0.0.1:9/hook', { waiting: 4, delayed: 3, active: 2, prioritized: 1 });
    await s.outbox.announce(detection('01JBBBBBBBBBBBBBBBBBBBBBBB'));
    await s.outbox.announce(detection('01JCCCCCCCCCCCCCCCCCCCCCCC'));
    expect(s.added).toEqual([]);
    expect(await s.dropped()).toBe(2);
    expect(s.lines.filter((l) => l.obj.code === 'AVF_WARN_WEBHOOK_OUTBOX_FULL').map((l) => l.obj)).toEqual([
      expect.objectContaining({ id: '01JBBBBBBBBBBBBBBBBBBBBBBB', pending: 10, maxWaiting: 10 }),
      expect.objectContaining({ id: '01JCCCCCCCCCCCCCCCCCCCCCCC', pending: 10, maxWaiting: 10 }),
    ]);
  });

  it('one below the bound still queues', async () => {
    const s = setup('http://127.0.0.1:9/hook', { waiting: 9, delayed: 0, active: 0, prioritized: 0 });
    await s.outbox.announce(detection('01JDDDDDDDDDDDDDDDDDDDDDDD'));
    expect(s.added).toHaveLength(1);
    expect(await s.dropped()).toBe(0);
  });

  it('without AVFLEET_WEBHOOK_URL queues nothing and adds no line to the finder\'s warn line', async () => {
    const s = setup(null);
    await s.outbox.announce(detection('01JEEEEEEEEEEEEEEEEEEEEEEE'));
    expect(s.added).toEqual([]);
    expect(s.lines).toEqual([]);
  });
});
