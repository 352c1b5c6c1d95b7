import type { AggregateJobData } from '../contracts/aggregate-job-data';
import type { ScanJobData } from '../contracts/scan-job-data';
import { createScanEnqueuer } from './enqueue-scan';

const job = { scanId: 'S' } as AggregateJobData;
const parts = [{ scanId: 'S', rule: 'clamav', partIndex: '1' } as ScanJobData];

/** A state and a queue that log what is sent, and settle only when told. */
function fakes(openFails = false) {
  const sent: string[] = [];
  let settle!: () => void;
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const state = {
    open: async () => {
      sent.push('hset');
      await settled;
      if (openFails) throw new Error('OOM');
    },
    drop: async () => void sent.push('drop'),
  };
  const queue = { addBulk: async () => (sent.push('addBulk'), settled) };
  return { sent, settle, state, queue };
}

describe('createScanEnqueuer', () => {
  it('in order (one ready connection): sends the state and the part jobs before either is answered (D62)', async () => {
    const f = fakes();
    const done = createScanEnqueuer(f.state, () => f.queue, { inOrder: () => true })(job, parts);
    await new Promise((r) => setImmediate(r));
    expect(f.sent).toEqual(['hset', 'addBulk']);
    f.settle();
    await done;
    expect(f.sent).toEqual(['hset', 'addBulk']);
  });

  it('otherwise adds the part jobs only once the state is written', async () => {
    const f = fakes();
    const done = createScanEnqueuer(f.state, () => f.queue, { inOrder: () => false })(job, parts);
    await new Promise((r) => setImmediate(r));
    expect(f.sent).toEqual(['hset']);
    f.settle();
    await done;
    expect(f.sent).toEqual(['hset', 'addBulk']);
  });

  it('a state that failed is removed again and the enqueue fails, also when the jobs were sent behind it', async () => {
    const f = fakes(true);
    const done = createScanEnqueuer(f.state, () => f.queue, { inOrder: () => true })(job, parts);
    f.settle();
    await expect(done).rejects.toThrow('OOM');
    expect(f.sent).toEqual(['hset', 'addBulk', 'drop']);
  });
});
