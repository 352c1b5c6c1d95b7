import { Registry } from 'prom-client';
import { EMPTY_META, MAX_HOST_BYTES, MAX_RECIPIENTS, NOOP_LOGGER, createFleetMetrics, type Logger, type RequestMeta, type ScanResult } from '../index';
import { IntakeError } from './intake-error';
import { createMessageSubmitter, type SubmitDeps } from './submit-message';

const result = (id: string): ScanResult => ({
  id, state: 'done', action: 'no action', score: 0, required_score: 15, symbols: {}, message: null, parts: [], skipped: {}, queue_id: null, elapsed_ms: 1,
});

function deps(over: Partial<SubmitDeps> = {}): SubmitDeps {
  return {
    intake: { accept: async () => ({ scanId: 's1', receivedAt: Date.now(), jobs: 1, messageId: '<m@x>', result: null }) },
    waiter: { wait: async (id) => result(id) },
    backpressure: { retryAfterSec: async () => 0 },
    partialResult: async () => null,
    metrics: createFleetMetrics(new Registry(), { defaultMetrics: false }),
    logger: NOOP_LOGGER,
    storeTimeoutMs: 200,
    ...over,
  };
}

const raw = Buffer.from('Subject: x\r\n\r\nbody\r\n');

describe('createMessageSubmitter: the protocol-neutral entry point', () => {
  it('hands the shape to intake: message unless the front end says file', async () => {
    const shapes: unknown[] = [];
    const s = createMessageSubmitter(deps({
      intake: { accept: async (_raw, _meta, shape) => { shapes.push(shape); return { scanId: 's1', receivedAt: Date.now(), jobs: 1, messageId: null, result: null }; } },
    }));
    await s.submit({ raw, meta: EMPTY_META, waitSec: 1 });
    await s.submit({ raw, meta: EMPTY_META, waitSec: 1, shape: 'file' });
    expect(shapes).toEqual(['message', 'file']);
  });

  it('answers the verdict when it comes within the wait, else the id to ask later', async () => {
    const s = createMessageSubmitter(deps());
    expect(await s.submit({ raw, meta: EMPTY_META, waitSec: 5 })).toEqual({ done: true, result: result('s1'), messageId: '<m@x>' });
    const never = createMessageSubmitter(deps({ waiter: { wait: async () => null } }));
    expect(await never.submit({ raw, meta: EMPTY_META, waitSec: 5 })).toEqual({ done: false, scanId: 's1', messageId: '<m@x>' });
    expect(await s.submit({ raw, meta: EMPTY_META, waitSec: 0 })).toEqual({ done: false, scanId: 's1', messageId: '<m@x>' });
  });

  it.each([
    ['an empty message', deps(), Buffer.alloc(0), { code: 'AVF_ERR_EMPTY_BODY', retryAfterSec: null }],
    ['full queues', deps({ backpressure: { retryAfterSec: async () => 7 } }), raw, { code: 'AVF_ERR_QUEUE_FULL', retryAfterSec: 7 }],
    ['a Redis outage while accepting', deps({ intake: { accept: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })) } }), raw,
      { code: 'AVF_ERR_UNAVAILABLE', retryAfterSec: 5 }],
    ['an accept that hangs past the bound', deps({ intake: { accept: () => new Promise(() => undefined) } }), raw, { code: 'AVF_ERR_UNAVAILABLE', retryAfterSec: 5 }],
  ])('refuses %s with a typed IntakeError', async (_label, d, body, expected) => {
    const err = await createMessageSubmitter(d).submit({ raw: body, meta: EMPTY_META, waitSec: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntakeError);
    expect(err).toMatchObject(expected);
  });

  it('bounds the request metadata for every front end (contracts/field-bounds.ts) and logs what it cut once, with a stable code', async () => {
    const metas: RequestMeta[] = [];
    const logged: unknown[] = [];
    const logger = { ...NOOP_LOGGER, warn: (obj: unknown) => void logged.push(obj) } as unknown as Logger;
    const s = createMessageSubmitter(deps({
      logger,
      intake: { accept: async (_raw, meta) => { metas.push(meta); return { scanId: 's1', receivedAt: Date.now(), jobs: 1, messageId: null, result: null }; } },
    }));
    const rcpt = Array.from({ length: MAX_RECIPIENTS + 5 }, (_, i) => `r${i}@example.org`);
    await s.submit({ raw, meta: { ...EMPTY_META, helo: 'h'.repeat(50_000), rcpt, queueId: 'Q1' }, waitSec: 1 });
    expect(metas[0].rcpt).toEqual(rcpt.slice(0, MAX_RECIPIENTS));
    expect(Buffer.byteLength(metas[0].helo!)).toBeLessThanOrEqual(MAX_HOST_BYTES);
    expect(logged).toEqual([{ code: 'AVF_WARN_REQUEST_META_CUT', fields: ['helo', 'rcpt'], rcptDropped: 5, queueId: 'Q1' }]);
    // Within the bounds: the metadata as given, nothing logged.
    const fine = { ...EMPTY_META, helo: 'mx.example.org', rcpt: ['a@example.org'] };
    await s.submit({ raw, meta: fine, waitSec: 1 });
    expect(metas[1]).toBe(fine);
    expect(logged).toHaveLength(1);
  });

  it('passes a bug through untyped (a front end answers it as an internal error)', async () => {
    const bug = new TypeError('x is undefined');
    const err = await createMessageSubmitter(deps({ intake: { accept: () => Promise.reject(bug) } })).submit({ raw, meta: EMPTY_META, waitSec: 1 }).catch((e: unknown) => e);
    expect(err).toBe(bug);
  });

  it('answers by the Deadline with the partial result when the scan is not finished', async () => {
    const partial = { ...result('s1'), state: 'partial' } as unknown as ScanResult;
    const s = createMessageSubmitter(deps({
      waiter: { wait: (_id, ms) => new Promise((resolve) => setTimeout(() => resolve(null), ms)) },
      partialResult: async () => partial,
    }));
    const started = Date.now();
    const out = await s.submit({ raw, meta: { ...EMPTY_META, deadlineSec: 0.5 }, waitSec: 60, startedAt: started });
    expect(out).toEqual({ done: true, result: partial, messageId: '<m@x>' });
    expect(Date.now() - started).toBeLessThan(2 * 500 + 1000);
  });

  it('counts a scan the Deadline ended (avfleet_deadline_missed_total), not one a shorter wait ended', async () => {
    const metrics = createFleetMetrics(new Registry(), { defaultMetrics: false });
    const missed = async (): Promise<Record<string, number>> =>
      Object.fromEntries((await metrics.deadlinesMissed.get()).values.map((v) => [String(v.labels.answer), v.value]));
    const late = (partialResult: SubmitDeps['partialResult']): ReturnType<typeof createMessageSubmitter> => createMessageSubmitter(deps({
      metrics, partialResult, waiter: { wait: (_id, ms) => new Promise((resolve) => setTimeout(() => resolve(null), ms)) },
    }));
    const partial = { ...result('s1'), state: 'partial' } as unknown as ScanResult;
    await late(async () => partial).submit({ raw, meta: { ...EMPTY_META, deadlineSec: 0.3 }, waitSec: 60 });
    await late(async () => null).submit({ raw, meta: { ...EMPTY_META, deadlineSec: 0.3 }, waitSec: 60 });
    await late(async () => partial).submit({ raw, meta: { ...EMPTY_META, deadlineSec: 60 }, waitSec: 0.2 });
    await createMessageSubmitter(deps({ metrics })).submit({ raw, meta: { ...EMPTY_META, deadlineSec: 0.3 }, waitSec: 60 });
    expect(await missed()).toEqual({ partial: 1, scan_id: 1 });
  });

  it('caps a Deadline past the cap (Deadline 3e6): every timer by the cap, no TimeoutOverflowWarning, the scan jobs see the cap', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => { warnings.push(w); };
    process.on('warning', onWarning);
    try {
      const metas: { deadlineSec: number | null }[] = [];
      const partial = { ...result('s1'), state: 'partial' } as unknown as ScanResult;
      const s = createMessageSubmitter(deps({
        maxWaitSec: 1,
        intake: { accept: async (_raw, meta) => { metas.push(meta); return { scanId: 's1', receivedAt: Date.now(), jobs: 1, messageId: null, result: null }; } },
        waiter: { wait: (_id, ms) => new Promise((resolve) => setTimeout(() => resolve(null), ms)) },
        partialResult: async () => partial,
      }));
      const started = Date.now();
      const out = await s.submit({ raw, meta: { ...EMPTY_META, deadlineSec: 3e6 }, waitSec: 3e6, startedAt: started });
      expect(out).toMatchObject({ done: true, result: partial });
      expect(Date.now() - started).toBeLessThan(2 * 1000 + 1000);
      expect(metas).toEqual([expect.objectContaining({ deadlineSec: 1 })]);
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.name === 'TimeoutOverflowWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('aborts the accept it refused (its bound passed), so the accept leaves nothing behind', async () => {
    let seen: AbortSignal | undefined;
    const s = createMessageSubmitter(deps({ intake: { accept: (_raw, _meta, _shape, signal) => { seen = signal; return new Promise(() => undefined); } } }));
    const err = await s.submit({ raw, meta: EMPTY_META, waitSec: 1 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'AVF_ERR_UNAVAILABLE' });
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBe(err);
  });

  it('once enqueued, answers with the scan id (never a refusal) when the result cannot be awaited', async () => {
    const s = createMessageSubmitter(deps({ waiter: { wait: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })) } }));
    expect(await s.submit({ raw, meta: EMPTY_META, waitSec: 5 })).toEqual({ done: false, scanId: 's1', messageId: '<m@x>' });
  });
});
