import { classifyFailure } from './classify-failure';
import { IntakeError } from './intake-error';
import { within } from './within';

describe('classifyFailure', () => {
  it.each([
    ['a store-unavailable error', Object.assign(new Error("EACCES: open '/srv/avfleet/store/tmp/.4242.ab12.tmp'"), { code: 'AVF_ERR_STORE_UNAVAILABLE' }), /^the object store is unreachable; see the producer log/],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }), /^Redis is unreachable; see the producer log/],
    ['ioredis giving up (no code)', new Error('Reached the max retries per request limit (which is 1).'), /^Redis is unreachable/],
    ['a closed connection (no code)', new Error('Connection is closed.'), /^Redis is unreachable/],
    ['an errno code only', Object.assign(new Error('socket'), { code: 'ETIMEDOUT' }), /^Redis is unreachable/],
  ])('turns %s into AVF_ERR_UNAVAILABLE with a retry delay, naming the component but not its error text', (_label, err, message) => {
    const out = classifyFailure(err, 'Redis');
    expect(out).toBeInstanceOf(IntakeError);
    expect(out).toMatchObject({ code: 'AVF_ERR_UNAVAILABLE', message: expect.stringMatching(message), retryAfterSec: 5, cause: err });
    // The dependency's text (paths, pids, temp-file names, addresses) stays in the cause, for the log.
    expect((out as Error).message).not.toContain(err.message);
    expect((out as Error).message).toContain('AVF_ERR_UNAVAILABLE');
  });

  it('leaves IntakeErrors, avfleet errors with their own code and programming errors as they are', () => {
    const full = new IntakeError('AVF_ERR_QUEUE_FULL', 'full', 3);
    expect(classifyFailure(full, 'Redis')).toBe(full);
    const invalidKey = Object.assign(new Error('bad key'), { code: 'AVF_ERR_STORE_INVALID_KEY' });
    expect(classifyFailure(invalidKey, 'the object store')).toBe(invalidKey);
    const bug = new TypeError('x is undefined');
    expect(classifyFailure(bug, 'Redis')).toBe(bug);
  });

  it('does not read the message: the same text with a programming error class stays a bug', () => {
    const bug = new RangeError('connect ECONNREFUSED 127.0.0.1:6379');
    expect(classifyFailure(bug, 'Redis')).toBe(bug);
  });
});

describe('within', () => {
  it('passes a prompt answer through', async () => {
    await expect(within(Promise.resolve(4), 1000, 'x')).resolves.toBe(4);
  });

  it('turns a hanging call into AVF_ERR_UNAVAILABLE after the bound, naming what hung', async () => {
    const t0 = Date.now();
    await expect(within(new Promise(() => undefined), 100, 'Redis (queue depth)')).rejects.toMatchObject({
      code: 'AVF_ERR_UNAVAILABLE', retryAfterSec: 5, message: expect.stringContaining('Redis (queue depth) did not answer within 100 ms'),
    });
    expect(Date.now() - t0).toBeLessThan(2 * 100 + 1000);
  });
});
