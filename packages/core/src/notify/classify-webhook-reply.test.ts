import { classifyWebhookAttempt, describeWebhookAttempt, type WebhookDisposition } from './classify-webhook-reply';

describe('classifyWebhookAttempt', () => {
  it.each<[number, WebhookDisposition]>([
    [200, 'delivered'], [201, 'delivered'], [202, 'delivered'], [204, 'delivered'], [299, 'delivered'],
    [500, 'retry'], [502, 'retry'], [503, 'retry'], [504, 'retry'], [599, 'retry'], [408, 'retry'], [429, 'retry'],
    [400, 'permanent'], [401, 'permanent'], [403, 'permanent'], [404, 'permanent'], [410, 'permanent'], [413, 'permanent'], [422, 'permanent'],
    [301, 'permanent'], [302, 'permanent'], [307, 'permanent'], [101, 'permanent'],
  ])('HTTP %i is %s', (status, disposition) => {
    expect(classifyWebhookAttempt({ kind: 'status', status })).toBe(disposition);
  });

  it('retries a timeout and a connection failure', () => {
    expect(classifyWebhookAttempt({ kind: 'timeout', afterMs: 1000 })).toBe('retry');
    expect(classifyWebhookAttempt({ kind: 'connection', detail: 'ECONNREFUSED' })).toBe('retry');
  });

  it('describes each attempt for the log', () => {
    expect(describeWebhookAttempt({ kind: 'status', status: 503 })).toBe('HTTP 503');
    expect(describeWebhookAttempt({ kind: 'timeout', afterMs: 250 })).toBe('no reply within 250 ms');
    expect(describeWebhookAttempt({ kind: 'connection', detail: 'ECONNREFUSED' })).toBe('connection failed (ECONNREFUSED)');
  });
});
