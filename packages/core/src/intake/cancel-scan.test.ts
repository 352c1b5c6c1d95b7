import { createScanCanceller } from './cancel-scan';

describe('createScanCanceller', () => {
  it('marks the scan cancelled first, then removes its state and its part jobs by their ids, best effort', async () => {
    const calls: string[] = [];
    const cancel = createScanCanceller(
      { cancel: async (id) => void calls.push(`cancel ${id}`) },
      { drop: async (id) => void calls.push(`drop ${id}`) },
      (name) => (name === 'clamav'
        ? { remove: async (jobId) => (calls.push(`remove ${jobId}`), jobId.endsWith('.2') ? Promise.reject(new Error('locked')) : 1) }
        : undefined),
    );
    await cancel('S', [{ rule: 'clamav', partIndex: '1' }, { rule: 'clamav', partIndex: '2' }, { rule: 'other', partIndex: null }]);
    expect(calls[0]).toBe('cancel S');
    expect(calls.slice(1).sort()).toEqual(['drop S', 'remove S.clamav.1', 'remove S.clamav.2']);
  });

  it('without part jobs it only marks the scan cancelled; a failed mark is the caller\'s error', async () => {
    const calls: string[] = [];
    const state = { drop: async () => void calls.push('drop') };
    await createScanCanceller({ cancel: async () => void calls.push('cancel') }, state, () => undefined)('S');
    expect(calls).toEqual(['cancel']);
    await expect(createScanCanceller({ cancel: async () => Promise.reject(new Error('down')) }, state, () => undefined)('S', [{ rule: 'r', partIndex: null }])).rejects.toThrow('down');
    expect(calls).toEqual(['cancel']);
  });
});
