import { ApiError } from '../errors';
import { classifyFailure } from './classify-failure';
import { within } from './within';

describe('classifyFailure', () => {
  it.each([
    ['a store-unavailable error', Object.assign(new Error('bucket unreachable'), { code: 'AVF_ERR_STORE_UNAVAILABLE' }), /object store unreachable/],
    ['ECONNREFUSED', new Error('connect ECONNREFUSED 127.0.0.1:6379'), /unreachable/],
    ['ioredis giving up', new Error('Reached the max retries per request limit (which is 1).'), /unreachable/],
    ['a closed connection', new Error('Connection is closed.'), /unreachable/],
    ['an error code only', Object.assign(new Error('socket'), { code: 'ETIMEDOUT' }), /unreachable/],
  ])('turns %s into a 503 with Retry-After', (_label, err, message) => {
    const out = classifyFailure(err);
    expect(out).toBeInstanceOf(ApiError);
    expect(out).toMatchObject({ code: 'AVF_ERR_UNAVAILABLE', message: expect.stringMatching(message), headers: { 'retry-after': '5' } });
  });

  it('leaves ApiErrors and other errors as they are', () => {
    const api = new ApiError('AVF_ERR_QUEUE_FULL', 'full');
    expect(classifyFailure(api)).toBe(api);
    const other = new TypeError('x is undefined');
    expect(classifyFailure(other)).toBe(other);
  });
});

describe('within', () => {
  it('passes a prompt answer through', async () => {
    await expect(within(Promise.resolve(4), 1000, 'x')).resolves.toBe(4);
  });

  it('turns a hanging call into a 503 after the bound, naming what hung', async () => {
    const t0 = Date.now();
    await expect(within(new Promise(() => undefined), 100, 'Redis (queue depth)')).rejects.toMatchObject({
      code: 'AVF_ERR_UNAVAILABLE', message: expect.stringContaining('Redis (queue depth) did not answer within 100 ms'),
    });
    expect(Date.now() - t0).toBeLessThan(2 * 100 + 1000);
  });
});
