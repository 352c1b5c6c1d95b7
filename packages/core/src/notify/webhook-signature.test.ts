import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { verifyWebhookSignature, webhookSignature } from './webhook-signature';

const SECRET = 'whsec-test-7f3a';
const BODY = Buffer.from('{"type":"retro_detection","id":"01J0000000000000000000000","rule":"clamav","viruses":["Ünïcode.Test"]}', 'utf8');
const TS = '1765100000';

describe('webhookSignature', () => {
  it('is HMAC-SHA256 over "<timestamp>.<body bytes>", as node:crypto computes it on the concatenated bytes', () => {
    const material = Buffer.concat([Buffer.from(`${TS}.`, 'latin1'), BODY]);
    expect(webhookSignature(SECRET, TS, BODY)).toBe(`sha256=${createHmac('sha256', Buffer.from(SECRET)).update(material).digest('hex')}`);
  });

  it('matches what openssl computes from the same bytes (an implementation other than node:crypto)', () => {
    const r = spawnSync('openssl', ['dgst', '-sha256', '-hmac', SECRET, '-hex'], { input: Buffer.concat([Buffer.from(`${TS}.`), BODY]), encoding: 'utf8' });
    if (r.error) throw new Error(`openssl is needed for this test: ${r.error.message}`);
    const hex = /([0-9a-f]{64})\s*$/.exec(r.stdout)?.[1];
    expect(hex).toBeDefined();
    expect(webhookSignature(SECRET, TS, BODY)).toBe(`sha256=${hex}`);
  });

  it('changes with every byte of the body, the timestamp and the secret', () => {
    const base = webhookSignature(SECRET, TS, BODY);
    const flipped = Buffer.from(BODY);
    flipped[10] ^= 1;
    expect(webhookSignature(SECRET, TS, flipped)).not.toBe(base);
    expect(webhookSignature(SECRET, String(Number(TS) + 1), BODY)).not.toBe(base);
    expect(webhookSignature(`${SECRET}x`, TS, BODY)).not.toBe(base);
  });
});

describe('verifyWebhookSignature (a receiver following the scheme)', () => {
  const now = Number(TS);
  const signed = { secret: SECRET, body: BODY, timestamp: TS, signature: webhookSignature(SECRET, TS, BODY), nowSec: now };

  it('accepts the signed request within the tolerance on either side', () => {
    expect(verifyWebhookSignature(signed)).toBe('valid');
    expect(verifyWebhookSignature({ ...signed, nowSec: now + 300 })).toBe('valid');
    expect(verifyWebhookSignature({ ...signed, nowSec: now - 300 })).toBe('valid');
  });

  it('refuses a replay past the tolerance, a changed body, a wrong secret, a missing or malformed header', () => {
    expect(verifyWebhookSignature({ ...signed, nowSec: now + 301 })).toBe('stale');
    expect(verifyWebhookSignature({ ...signed, nowSec: now + 30, toleranceSec: 10 })).toBe('stale');
    expect(verifyWebhookSignature({ ...signed, body: Buffer.concat([BODY, Buffer.from(' ')]) })).toBe('bad_signature');
    expect(verifyWebhookSignature({ ...signed, secret: 'other' })).toBe('bad_signature');
    // The timestamp is signed: moving it forward to pass the freshness check breaks the signature.
    expect(verifyWebhookSignature({ ...signed, timestamp: String(now + 1000), nowSec: now + 1000 })).toBe('bad_signature');
    expect(verifyWebhookSignature({ ...signed, signature: undefined })).toBe('missing');
    expect(verifyWebhookSignature({ ...signed, timestamp: undefined })).toBe('missing');
    expect(verifyWebhookSignature({ ...signed, signature: signed.signature.toUpperCase() })).toBe('malformed');
    expect(verifyWebhookSignature({ ...signed, timestamp: '17651e5' })).toBe('malformed');
  });
});
