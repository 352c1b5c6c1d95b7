import type { FleetSettings } from './fleet-settings';

const HIDDEN = '[redacted]';

/** Replace the password in a URL (redis://, the webhook's), keeping the rest readable. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password === '') return url;
    u.password = 'redacted';
    return u.toString();
  } catch {
    return url;
  }
}

/** The settings with secrets (API and admin tokens, the webhook secret and a password in its URL, S3 secret key, Redis password) hidden, for start-up logs. */
export function redactSettings(s: FleetSettings): FleetSettings {
  return {
    ...s,
    redisUrl: redactUrl(s.redisUrl),
    apiToken: s.apiToken === null ? null : HIDDEN,
    adminToken: s.adminToken === null ? null : HIDDEN,
    webhook: { ...s.webhook, url: s.webhook.url === null ? null : redactUrl(s.webhook.url), secret: s.webhook.secret === null ? null : HIDDEN },
    store: s.store.kind === 's3' && s.store.secretKey !== '' ? { ...s.store, secretKey: HIDDEN } : s.store,
  };
}
