import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

export interface BullmqFloor {
  jobs: number;
  nodeCpuMsPerJob: number;
  redisCpuMsPerJob: number;
  redisCommandsPerJob: number;
}

async function redisCpuSeconds(r: Redis): Promise<number> {
  const s = await r.info('cpu');
  return Number(/used_cpu_user:([\d.]+)/.exec(s)?.[1] ?? 0) + Number(/used_cpu_sys:([\d.]+)/.exec(s)?.[1] ?? 0);
}

async function redisCommands(r: Redis): Promise<number> {
  let total = 0;
  for (const line of (await r.info('commandstats')).split('\n')) {
    const m = /^cmdstat_[^:]+:calls=(\d+)/.exec(line);
    if (m) total += Number(m[1]);
  }
  return total;
}

/**
 * The floor of the job protocol: one BullMQ job's whole lifecycle (add, take, complete) with
 * avfleet's part-job options and a part job's data, `jobs` of them added one at a time from 4
 * lanes (as the bench's client sends messages), a worker with concurrency 4 in the same process.
 * Node CPU is this process's (the producer's and the worker's share together).
 */
export async function measureBullmqFloor(redisUrl: string, jobs: number): Promise<BullmqFloor> {
  const url = new URL(redisUrl);
  const connection = { host: url.hostname, port: Number(url.port || 6379), db: Number(url.pathname.slice(1) || 0), maxRetriesPerRequest: null };
  const meter = new Redis(connection);
  const prefix = `avfb-floor-${Date.now()}`;
  const queue = new Queue('q', { connection, prefix });
  await queue.waitUntilReady();
  let done = 0;
  let allDone: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  const worker = new Worker('q', async () => undefined, { connection, prefix, concurrency: 4 });
  worker.on('completed', () => {
    if (++done === jobs) allDone();
  });
  await worker.waitUntilReady();
  const data = {
    v: 1, scanId: 'x', rule: 'clamav', partIndex: '1.2', key: 'messages/2026/12/07/x.eml', sha256: 'a'.repeat(64), size: 12345,
    filename: 'file.pdf', contentType: 'application/pdf', context: { clientIp: '127.0.0.1', from: 'a@b', rcpt: ['c@d'], helo: 'h', queueId: 'Q' },
  };
  const cpu0 = process.cpuUsage();
  const redis0 = await redisCpuSeconds(meter);
  const cmds0 = await redisCommands(meter);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < jobs) {
      const i = next++;
      await queue.add('scan', data, { jobId: `j${i}`, attempts: 3, backoff: { type: 'exponential', delay: 500 }, removeOnComplete: true, removeOnFail: { age: 86400, count: 10000 } });
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  await Promise.all([lane(), lane(), lane(), lane()]);
  await finished;
  const cpu = process.cpuUsage(cpu0);
  const redis1 = await redisCpuSeconds(meter);
  const cmds1 = await redisCommands(meter);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  meter.disconnect();
  return {
    jobs,
    nodeCpuMsPerJob: (cpu.user + cpu.system) / 1000 / jobs,
    redisCpuMsPerJob: ((redis1 - redis0) * 1000) / jobs,
    // the two INFO calls of the first reading are inside the window
    redisCommandsPerJob: (cmds1 - cmds0 - 2) / jobs,
  };
}
