import { UnrecoverableError } from 'bullmq';
import { Registry } from 'prom-client';
import { startWebhookReceiver, type WebhookReceiver } from '../../../../test/helpers/webhook-receiver';
import { createFleetMetrics } from '../observe/fleet-metrics';
import type { Logger } from '../observe/logger';
import { createWebhookProcessor } from './serve-webhook-queue';

const SECRET = 'processor-secret';
const EVENT = { type: 'retro_detection', id: '01JEVENT0000000000000000AA', rule: 'clamav', viruses: ['Test.Sig'], carriers: [] };
const BODY = JSON.stringify(EVENT);

interface Line { level: string; obj: Record<string, unknown> }
function recordingLogger(lines: Line[]): Logger {
  const at = (level: string) => (obj: object | string): void => void lines.push({ level, obj: typeof obj === 'string' ? { msg: obj } : (obj as Record<string, unknown>) });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

let receiver: WebhookReceiver | null = null;
afterEach(async () => {
  await receiver?.close();
  receiver = null;
});

async function setup(script: (number | 'hang')[], secret: string | null = SECRET) {
  receiver = await startWebhookReceiver({ secret: SECRET, script });
  const metrics = createFleetMetrics(new Registry(), { defaultMetrics: false });
  const lines: Line[] = [];
  const process = createWebhookProcessor({ target: { url: receiver.url, secret, timeoutMs: 300 }, metrics, logger: recordingLogger(lines) });
  const outcomes = async (): Promise<Record<string, number>> =>
    Object.fromEntries((await metrics.webhookDeliveries.get()).values.map((v) => [String(v.labels.outcome), v.value]));
  const job = (attemptsMade: number, attempts = 3) => ({ id: `retro-${EVENT.id}`, data: { body: BODY }, attemptsMade, opts: { attempts } });
  return { receiver, process, outcomes, job, lines };
}

describe('createWebhookProcessor (one attempt per run)', () => {
  it('delivers a signed event: the body is the event JSON, the signature verifies, the event id is in a header', async () => {
    const s = await setup([204]);
    await s.process(s.job(0));
    expect(s.receiver.received).toHaveLength(1);
    const [r] = s.receiver.received;
    expect(r?.verdict).toBe('valid');
    expect(r?.body.toString('utf8')).toBe(BODY);
    expect(r?.headers['content-type']).toBe('application/json');
    expect(r?.headers['x-avfleet-event-id']).toBe(EVENT.id);
    expect(await s.outcomes()).toEqual({ delivered: 1 });
  });

  it('throws a retryable error on 500 and on a timeout, counting retried; the last attempt counts exhausted and warns', async () => {
    const s = await setup([500, 'hang', 503]);
    await expect(s.process(s.job(0))).rejects.toThrow('HTTP 500');
    await expect(s.process(s.job(1))).rejects.toThrow('no reply within 300 ms');
    const last = s.process(s.job(2));
    await expect(last).rejects.toThrow('HTTP 503');
    await expect(last).rejects.not.toBeInstanceOf(UnrecoverableError);
    expect(await s.outcomes()).toEqual({ retried: 2, exhausted: 1 });
    expect(s.lines.filter((l) => l.level === 'warn').map((l) => l.obj.code)).toEqual(['AVF_WARN_WEBHOOK_GAVE_UP']);
  });

  it('fails a 400 for good (UnrecoverableError: BullMQ does not retry it), counted rejected, warned', async () => {
    const s = await setup([400]);
    await expect(s.process(s.job(0))).rejects.toBeInstanceOf(UnrecoverableError);
    expect(await s.outcomes()).toEqual({ rejected: 1 });
    expect(s.lines.find((l) => l.level === 'warn')?.obj).toMatchObject({ code: 'AVF_WARN_WEBHOOK_REJECTED', reply: 'HTTP 400', attempt: 1 });
  });

  it('retries 408 and 429', async () => {
    const s = await setup([408, 429]);
    await expect(s.process(s.job(0))).rejects.not.toBeInstanceOf(UnrecoverableError);
    await expect(s.process(s.job(1))).rejects.not.toBeInstanceOf(UnrecoverableError);
    expect(await s.outcomes()).toEqual({ retried: 2 });
  });

  it('sends no signature headers without a secret (the receiver sees them missing)', async () => {
    const s = await setup([200], null);
    await s.process(s.job(0));
    expect(s.receiver.received[0]?.verdict).toBe('missing');
    expect(s.receiver.received[0]?.headers['x-avfleet-signature']).toBeUndefined();
  });
});
