import { createScanCanceller } from './cancel-scan';

describe('createScanCanceller', () => {
  it('marks the scan cancelled first, then removes its state and its part jobs by their ids, best effort', async () => {
    const calls: string[] = [];
    const cancel = createScanCanceller(
      { cancel: async (id) => void calls.push(`cancel ${id}`) },
      { drop: async (id) => void calls.push(`drop ${id}`) },
      (name) => (name === 'clamav'
        ? [0, 1].map((lane) => ({ remove: async (jobId: string) => (calls.push(`remove ${lane} ${jobId}`), jobId.endsWith('.2') ? Promise.reject(new Error('locked')) : 1) }))
        : []),
    );
    await cancel('S', [{ rule: 'clamav', partIndex: '1' }, { rule: 'clamav', partIndex: '2' }, { rule: 'other', partIndex: null }]);
    expect(calls[0]).toBe('cancel S');
    // In every lane: the scan's lane is not known to the canceller.
    expect(calls.slice(1).sort()).toEqual(['drop S', 'remove 0 S.clamav.1', 'remove 0 S.clamav.2', 'remove 1 S.clamav.1', 'remove 1 S.clamav.2']);
  });

  it('without part jobs it only marks the scan cancelled; a failed mark is the caller\'s error', async () => {
    const calls: string[] = [];
    const state = { drop: async () => void calls.push('drop') };
    await createScanCanceller({ cancel: async () => void calls.push('cancel') }, state, () => [])('S');
    expect(calls).toEqual(['cancel']);
    await expect(createScanCanceller({ cancel: async () => Promise.reject(new Error('down')) }, state, () => [])('S', [{ rule: 'r', partIndex: null }])).rejects.toThrow('down');
    expect(calls).toEqual(['cancel']);
  });
});
