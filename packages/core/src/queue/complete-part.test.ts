import type { AggregateJobData } from '../contracts/aggregate-job-data';
import type { ScanJobData, ScanJobResult } from '../contracts/scan-job-data';
import { createPartCompleter, enqueueAggregation, failedPartResult } from './complete-part';

const part: ScanJobData = {
  v: 1, scanId: 'S', rule: 'clamav', partIndex: '1', key: 'k', sha256: 'h', size: 1, filename: null, contentType: null, substituteEicar: false, configDigest: 'd', deadlineMs: null,
};
const clean: ScanJobResult = { rule: 'clamav', partIndex: '1', verdict: { kind: 'clean' }, cached: false, ms: 3 };

describe('createPartCompleter', () => {
  it('runs onLast only when the recorded part was the last one (0 left), never for a scan that is gone (-1)', async () => {
    const last: string[] = [];
    for (const [left, expected] of [[2, false], [0, true], [-1, false]] as const) {
      const complete = createPartCompleter({ recordAndRead: async () => ({ left }) }, async (id) => void last.push(id));
      await expect(complete(part, clean)).resolves.toBe(expected);
    }
    expect(last).toEqual(['S']);
  });

  it('hands onLast the scan the record read with the last part', async () => {
    const scan = { data: { scanId: 'S' } as AggregateJobData, results: [clean] };
    const seen: unknown[] = [];
    const complete = createPartCompleter({ recordAndRead: async () => ({ left: 0, scan }) }, async (id, s) => void seen.push([id, s]));
    await expect(complete(part, clean)).resolves.toBe(true);
    expect(seen).toEqual([['S', scan]]);
  });

  it('a failing onLast fails the part job (it runs again and finds no part left)', async () => {
    const complete = createPartCompleter({ recordAndRead: async () => ({ left: 0 }) }, async () => Promise.reject(new Error('Redis gone')));
    await expect(complete(part, clean)).rejects.toThrow('Redis gone');
  });
});

describe('enqueueAggregation', () => {
  it('adds the aggregation job under the scan\'s id with only the id as data', async () => {
    const added: unknown[] = [];
    await enqueueAggregation({ add: async (...args) => void added.push(args) })('S');
    expect(added).toEqual([['aggregate', { v: 1, scanId: 'S' }, expect.objectContaining({ jobId: 'S', removeOnComplete: true })]]);
  });
});

describe('failedPartResult', () => {
  it('is a fail verdict of the part, reason error, naming why the job failed', () => {
    expect(failedPartResult(part, 'job stalled more than allowable limit')).toEqual({
      rule: 'clamav', partIndex: '1', verdict: { kind: 'fail', text: 'scan job failed: job stalled more than allowable limit', reason: 'error' }, cached: false, ms: 0,
    });
  });
});
