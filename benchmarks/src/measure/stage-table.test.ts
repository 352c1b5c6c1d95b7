import { pidOfProfileFile, redisByGroup, stageDetail, stageFunctionMs, stageMs, stageTable, type CpuProfile } from './stage-table';
import { roleOf, stagesOfNodes } from './profile-stages';

const ROOT = 'file:///srv/avfleet';
const frame = (functionName: string, url = '', lineNumber = 0): { functionName: string; url: string; lineNumber: number } => ({ functionName, url, lineNumber });

/** A producer: the HTTP front end calls accept-message, which splits, hashes and probes the cache; replies and GC from the event loop. */
function producerProfile(): CpuProfile {
  return {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 3, 4, 10, 11, 12, 13] },
      { id: 2, callFrame: frame('(idle)') },
      { id: 3, callFrame: frame('(garbage collector)') },
      { id: 4, callFrame: frame('handleScan', `${ROOT}/apps/producer/dist/frontends/http/routes/scans.js`), children: [5] },
      { id: 5, callFrame: frame('acceptMessage', `${ROOT}/packages/core/dist/intake/accept-message.js`), children: [6, 8, 9] },
      { id: 6, callFrame: frame('decodeBase64', `${ROOT}/packages/core/dist/mime/transfer-decoding.js`), children: [7] },
      // Node's hash called from mime/: the innermost known frame names the stage.
      { id: 7, callFrame: frame('digest', 'node:internal/crypto/hash') },
      { id: 8, callFrame: frame('lookupCached', `${ROOT}/packages/core/dist/intake/accept-message.js`), children: [14] },
      { id: 9, callFrame: frame('add', `${ROOT}/node_modules/bullmq/dist/cjs/classes/flow-producer.js`) },
      // An ioredis reply from the event loop: no caller on the stack.
      { id: 10, callFrame: frame('returnReply', `${ROOT}/node_modules/ioredis/built/DataHandler.js`) },
      { id: 11, callFrame: frame('(program)') },
      { id: 12, callFrame: frame('processTicksAndRejections', 'node:internal/process/task_queues') },
      { id: 13, callFrame: frame('reply', `${ROOT}/apps/producer/dist/frontends/http/respond.js`) },
      // ioredis called by the cache probe: the caller names the stage.
      { id: 14, callFrame: frame('sendCommand', `${ROOT}/node_modules/ioredis/built/Redis.js`) },
    ],
    // 1 ms each at t = 1001…1012 ms (µs on the profile's clock), idle first.
    samples: [2, 3, 4, 6, 7, 7, 8, 14, 9, 10, 11, 12, 13],
    timeDeltas: Array.from({ length: 13 }, () => 1000),
    startTime: 1_000_000,
    endTime: 1_013_000,
  };
}

describe('stagesOfNodes / stageMs', () => {
  it('names each sample by the innermost frame of the message path, libraries and Node internals only when nothing above names it', () => {
    const p = producerProfile();
    expect(roleOf(p.nodes)).toBe('producer');
    const stages = stagesOfNodes(p.nodes, 'producer');
    expect([2, 3, 4, 6, 7, 8, 14, 9, 10, 11, 12, 13].map((id) => stages.get(id))).toEqual([
      'idle', 'gc', 'receive', 'split-decode', 'hash', 'cache', 'cache', 'enqueue', 'redis-client', 'program', 'node-other', 'wait-answer',
    ]);
  });

  it('adds ms per stage within a window of the profile clock', () => {
    const all = stageMs(producerProfile(), 'producer');
    expect(all.get('hash')).toBe(2);
    expect(all.get('cache')).toBe(2);
    // Samples at 1004–1006 ms: decodeBase64 and twice the hash.
    const cut = stageMs(producerProfile(), 'producer', [1_004_000, 1_007_000]);
    expect([...cut]).toEqual([['split-decode', 1], ['hash', 2]]);
  });

  it('tells a worker by its scanner client frames, and a store read under a worker is reading the part', () => {
    const nodes = [
      { id: 1, callFrame: frame('(root)'), children: [2] },
      { id: 2, callFrame: frame('scan', `${ROOT}/packages/scanners/dist/clients/clamav/clamav-client.js`), children: [3] },
      { id: 3, callFrame: frame('readFile', 'node:fs') },
      { id: 4, callFrame: frame('get', `${ROOT}/packages/core/dist/store/folder-object-store.js`) },
      { id: 5, callFrame: frame('moveToFinished', `${ROOT}/node_modules/bullmq/dist/cjs/classes/redis-queue-backend.js`) },
      { id: 6, callFrame: frame('run', `${ROOT}/node_modules/bullmq/dist/cjs/classes/worker.js`) },
    ];
    expect(roleOf(nodes)).toBe('worker');
    const stages = stagesOfNodes(nodes, 'worker');
    expect([2, 3, 4, 5, 6].map((id) => stages.get(id))).toEqual(['scanner-io', 'scanner-io', 'store', 'complete', 'take-job']);
  });
});

describe('stageFunctionMs / stageDetail', () => {
  it('names the functions of one stage, a native leaf by the JavaScript function that called it', () => {
    const ms = stageFunctionMs(producerProfile(), 'producer', 'hash');
    expect([...ms]).toEqual([['[digest] in decodeBase64 packages/core/dist/mime/transfer-decoding.js:1', 2]]);
    const detail = stageDetail([{ file: 'CPU.1.2.4242.0.001.cpuprofile', profile: producerProfile() }], [{
      label: 'cold', messages: 2, monotonicUs: [1_000_000, 1_013_000], cpuSec: {}, redisCommands: {}, extra: { pids: { producer: [4242] } },
    }], 'producer', 'cache', 5);
    expect(detail).toContain('cold: producer · cache');
    expect(detail).toContain('   0.500  lookupCached packages/core/dist/intake/accept-message.js:1');
    expect(detail).toContain('   0.500  sendCommand node_modules/ioredis/built/Redis.js:1');
  });
});

describe('stageTable', () => {
  it('gives ms per message of each pass, scaled to the CPU from /proc, and Redis commands by group', () => {
    const table = stageTable(
      [{ file: '/tmp/p/CPU.20261207.050045.4242.0.001.cpuprofile', profile: producerProfile() }],
      [{
        label: 'cold', messages: 2, monotonicUs: [1_000_000, 1_013_000], cpuSec: { producer: 0.022, redis: 0.002 },
        redisCommands: { get: 3, setex: 1, eval: 2, exists: 3, set: 2, xread: 1, evalsha: 10 }, extra: { pids: { producer: [4242] } },
      }],
    );
    // 11 busy samples (idle left out) for 11 ms of /proc CPU per message: 1 ms per sample per message... halved by 2 messages.
    expect(table).toContain('| producer · hash (SHA-256, BLAKE2b) | 2.00 |');
    expect(table).toContain('| **producer · CPU from /proc (all threads)** | **11.0** |');
    expect(table).toContain('| cache probe (GET, MGET) | 1.5 |');
    expect(table).toContain('| result save (EVAL and the EXISTS, SET of its script) | 3.0 |');
    expect(table).toContain('| job protocol (BullMQ: its scripts and every command inside them) | 5.5 |');
  });

  it('reads the pid of a --cpu-prof file name', () => {
    expect(pidOfProfileFile('/d/CPU.20261207.050045.12108.0.001.cpuprofile')).toBe(12108);
    expect(pidOfProfileFile('/d/other.cpuprofile')).toBeNull();
  });

  it('groups commands so that the groups add up to the total', () => {
    const g = redisByGroup({ get: 4, mget: 1, eval: 1, exists: 5, set: 1, hset: 7 });
    expect(Object.values(g).reduce((a, b) => a + b, 0)).toBe(19);
    expect(g['cache probe (GET, MGET)']).toBe(5);
  });
});
