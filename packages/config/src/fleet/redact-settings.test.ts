import { redactSettings } from './redact-settings';
import { resolveFleetSettings } from './resolve-fleet-settings';

describe('redactSettings', () => {
  it('hides the token, the S3 secret and the Redis password, and nothing else', () => {
    const s = resolveFleetSettings({
      flags: {},
      role: 'cli',
      env: {
        AVFLEET_API_TOKEN: 'tok',
        AVFLEET_REDIS_URL: 'redis://user:pw@redis:6379/0',
        AVFLEET_STORE: 's3://mail',
        AVFLEET_S3_ENDPOINT: 'http://minio:9000',
        AVFLEET_S3_ACCESS_KEY: 'AK',
        AVFLEET_S3_SECRET_KEY: 'SK',
      },
    });
    const r = redactSettings(s);
    const text = JSON.stringify(r);
    expect(text).not.toMatch(/tok|pw|SK/);
    expect(r.redisUrl).toBe('redis://user:redacted@redis:6379/0');
    expect(r.store).toMatchObject({ accessKey: 'AK', secretKey: '[redacted]', bucket: 'mail' });
    expect(r.apiToken).toBe('[redacted]');
    expect(s.apiToken).toBe('tok');
    expect(redactSettings(resolveFleetSettings({ flags: {}, env: {}, role: 'cli' })).redisUrl).toBe('redis://127.0.0.1:6379/0');
  });

  it('hides the webhook secret and a password in the webhook URL', () => {
    const s = resolveFleetSettings({ flags: {}, role: 'cli', env: { AVFLEET_WEBHOOK_URL: 'https://hook:hunter2@hooks.example.org/x', AVFLEET_WEBHOOK_SECRET: 'whsec-9' } });
    const r = redactSettings(s);
    expect(JSON.stringify(r)).not.toMatch(/hunter2|whsec-9/);
    expect(r.webhook).toMatchObject({ url: 'https://hook:redacted@hooks.example.org/x', secret: '[redacted]' });
  });
});
