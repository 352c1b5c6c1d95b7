import { startFleetUnderTest, type FleetUnderTest } from '../helpers/fleet-under-test';

/**
 * `rate_limit` (docs/interfaces.md §2): BullMQ's queue limiter holds the whole fleet
 * to N scans per period. Six distinct attachments under "2/2s" need at least
 * two full periods; without the limit clamd scans them in well under a second.
 */
function messageWith(i: number): Buffer {
  const body = Buffer.from(`attachment number ${i} of the rate-limit test ${Date.now()}\n`.repeat(20));
  return Buffer.from(
    [
      'From: a@example.org', 'To: b@example.net', `Subject: rate ${i}`, 'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Content-Type: text/plain', '', 'hello', '--b',
      `Content-Type: application/octet-stream; name="f${i}.bin"`, `Content-Disposition: attachment; filename="f${i}.bin"`,
      'Content-Transfer-Encoding: base64', '', body.toString('base64'), '--b--', '',
    ].join('\r\n'),
  );
}

async function scanSix(fleet: FleetUnderTest): Promise<number> {
  const started = Date.now();
  const answers = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => fleet.scan(messageWith(i))));
  for (const a of answers) {
    expect(a.status).toBe(200);
    expect(a.body.action).toBe('no action');
  }
  return Date.now() - started;
}

const conf = (extra: string): string => `
clamav {
  servers = "\${CLAMD}";
  prefix = "\${PREFIX}rl_";
  ${extra}
}
`;

describe('rate_limit', () => {
  it('spreads scans over the configured period across the fleet', async () => {
    const fleet = await startFleetUnderTest({ testFile: 'rate-limit', conf: conf('rate_limit = "2/2s";') });
    try {
      const ms = await scanSix(fleet);
      // 6 jobs at 2 per 2 s: the last pair cannot start before 4 s have passed.
      expect(ms).toBeGreaterThanOrEqual(3500);
    } finally {
      await fleet.close();
    }
  }, 60_000);

  it('does not slow a rule without it', async () => {
    const fleet = await startFleetUnderTest({ testFile: 'rate-limit-off', conf: conf('') });
    try {
      expect(await scanSix(fleet)).toBeLessThan(3500);
    } finally {
      await fleet.close();
    }
  }, 60_000);
});
