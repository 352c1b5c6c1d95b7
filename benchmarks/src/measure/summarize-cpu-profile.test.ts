import { summarizeCpuProfile } from './summarize-cpu-profile';

const frame = (functionName: string, url = '', lineNumber = 0): { functionName: string; url: string; lineNumber: number } => ({ functionName, url, lineNumber });

describe('summarizeCpuProfile', () => {
  const profile = {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 3, 4, 5, 6] },
      { id: 2, callFrame: frame('(idle)') },
      { id: 3, callFrame: frame('decodeBase64', 'file:///srv/avfleet/packages/core/dist/mime/transfer-decoding.js', 47) },
      { id: 4, callFrame: frame('sendCommand', 'file:///srv/avfleet/node_modules/ioredis/built/Redis.js', 337) },
      { id: 5, callFrame: frame('(garbage collector)') },
      { id: 6, callFrame: frame('addBulk', 'file:///srv/avfleet/node_modules/@scope/pkg/index.js', 9) },
    ],
    // idle 5 ms (left out), decode 3 + 3 ms, redis 2 ms, gc 1 ms, scoped package 1 ms
    samples: [2, 3, 4, 3, 5, 6],
    timeDeltas: [5000, 3000, 2000, 3000, 1000, 1000],
    startTime: 0,
    endTime: 15000,
  };

  it('adds self time per function and per source, leaves idle time out, largest first', () => {
    const s = summarizeCpuProfile(profile);
    expect(s.totalMs).toBe(10);
    expect(s.functions[0]).toEqual({ what: 'decodeBase64 packages/core/dist/mime/transfer-decoding.js:48', ms: 6, share: 0.6 });
    expect(s.sources.map((l) => [l.what, l.ms])).toEqual([
      ['packages/core/dist/mime/transfer-decoding.js', 6],
      ['npm:ioredis', 2],
      ['(garbage collector)', 1],
      ['npm:@scope/pkg', 1],
    ]);
  });

  it('keeps only the largest lines when asked', () => {
    expect(summarizeCpuProfile(profile, 2).functions).toHaveLength(2);
  });
});
