import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { EICAR_TEST_STRING, parseInfoFields, type ScanResult } from '@avfleet/core';
import { freePort, startFleet, startFleetProcess, type Fleet, type FleetProcess } from '../helpers/fleet-processes';
import { jsonLogLines } from '../helpers/json-log-lines';
import { startRedisCluster, type PrivateRedisCluster } from '../helpers/start-redis-cluster';
import { testServices } from '../helpers/test-services';

/**
 * Issue 18's "done when", on a real Redis Cluster (3 masters, 3 replicas,
 * cluster-node-timeout 2 s): about 280 scans submitted asynchronously (`POST /scans?wait=0`,
 * then polled) to a producer and 2 workers whose only Redis setting is
 * AVFLEET_REDIS_CLUSTER_NODES = the 3 masters; one master is SIGKILLed after the first
 * third. Every message is answered 202 (none refused), every one ends with its right
 * verdict (none lost, none wrong), and before the kill every master carried at least 15 %
 * of the fleet's Redis commands (INFO commandstats).
 */

jest.setTimeout(150000);

const MESSAGES = 280;
/** Submissions at once, and the pause between starting two (about 40 per second). */
const IN_FLIGHT = 8;
const PACE_MS = 25;
/** Every scan finishes by then after the last submission: failover (≈ 4 s) + a reconciler check (10 s + 2 s sweep) + draining, 2x + 1 s. */
const FINISH_BOUND_MS = 2 * 25_000 + 1000;

let cluster: PrivateRedisCluster;
let dir: string;

beforeAll(async () => {
  cluster = await startRedisCluster();
  dir = mkdtempSync(join(tmpdir(), 'avft-cluster-failover-'));
});

afterAll(async () => {
  await cluster?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Message i: a unique attachment (every scan is cold), EICAR in every third; every fourth has a second one (several cache keys, in different slots, read at once). */
function message(i: number): { raw: Buffer; virus: boolean } {
  const virus = i % 3 === 0;
  const body = virus ? `${EICAR_TEST_STRING}\r\nunique ${i} ${Date.now()}` : `clean attachment ${i} ${Date.now()} ${'x'.repeat(i % 50)}`;
  const raw = [
    'From: a@example.org', 'To: b@example.org', `Subject: failover ${i}`, `Message-ID: <failover.${i}.${Date.now()}@avfleet.test>`,
    'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '',
    '--b', 'Content-Type: text/plain', '', `message ${i}`,
    '--b', `Content-Type: application/octet-stream; name="f${i}.bin"`, `Content-Disposition: attachment; filename="f${i}.bin"`, '', body,
    ...(i % 4 === 0 ? ['--b', `Content-Type: application/octet-stream; name="g${i}.bin"`, `Content-Disposition: attachment; filename="g${i}.bin"`, '', `second clean attachment ${i} ${Date.now()}`] : []),
    '--b--', '',
  ].join('\r\n');
  return { raw: Buffer.from(raw, 'latin1'), virus };
}

/** Calls of every command on each master, from INFO commandstats. */
async function commandsPerMaster(ports: readonly number[]): Promise<Map<number, number>> {
  const calls = new Map<number, number>();
  for (const port of ports) {
    const r = new Redis(port, '127.0.0.1');
    try {
      const stats = parseInfoFields(await r.info('commandstats'));
      let n = 0;
      for (const [name, value] of stats) {
        // The test's own probes (INFO, CONFIG) are not the fleet's.
        if (/^cmdstat_(info|config)$/.test(name)) continue;
        n += Number(/calls=(\d+)/.exec(value)?.[1] ?? 0);
      }
      calls.set(port, n);
    } finally {
      r.disconnect();
    }
  }
  return calls;
}

test('280 async scans, 2 workers, a master SIGKILLed after the first third: 0 lost, 0 refused, 0 wrong; every master carried ≥ 15 % of the commands', async () => {
  const { clamd } = testServices();
  const conf = join(dir, 'antivirus.conf');
  writeFileSync(conf, `clamav {\n  symbol = "CLAM_VIRUS";\n  action = "reject";\n  fail_action = "soft reject";\n  servers = "${clamd.host}:${clamd.port}";\n}\n`);
  const masters = (await cluster.nodes()).filter((n) => n.role === 'master');
  expect(masters).toHaveLength(3);
  const env = { AVFLEET_REDIS_CLUSTER_NODES: masters.map((m) => m.address).join(','), AVFLEET_STORE: join(dir, 'store') };
  let fleet: Fleet | undefined;
  let second: FleetProcess | undefined;
  try {
    fleet = await startFleet({ configPath: conf, env });
    second = await startFleetProcess({ role: 'worker', configPath: conf, listen: `127.0.0.1:${await freePort()}`, env });
    const api = fleet.apiUrl;
    for (const m of masters) {
      const r = new Redis(m.port, '127.0.0.1');
      await r.config('RESETSTAT');
      r.disconnect();
    }

    const submitted: { id: string; virus: boolean }[] = [];
    const refused: string[] = [];
    let killed: { at: number; shares: number[] } | null = null;
    const victim = masters[0]!;
    let next = 0;
    const submitter = async (): Promise<void> => {
      for (;;) {
        const i = next;
        next += 1;
        if (i >= MESSAGES) return;
        if (i === Math.floor(MESSAGES / 3) && !killed) {
          const calls = await commandsPerMaster(masters.map((m) => m.port));
          const total = [...calls.values()].reduce((a, b) => a + b, 0);
          killed = { at: Date.now(), shares: masters.map((m) => (calls.get(m.port) ?? 0) / total) };
          await cluster.kill(victim.port);
        }
        const { raw, virus } = message(i);
        const res = await fetch(`${api}/scans?wait=0`, { method: 'POST', body: raw, signal: AbortSignal.timeout(30000) }).catch((e: Error) => e);
        if (res instanceof Error || (res.status !== 202 && res.status !== 200)) {
          refused.push(res instanceof Error ? res.message : `${res.status} ${await res.text()}`);
          continue;
        }
        submitted.push({ id: ((await res.json()) as { id: string }).id, virus });
        await new Promise((r) => setTimeout(r, PACE_MS * IN_FLIGHT));
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, async (_, k) => {
      await new Promise((r) => setTimeout(r, k * PACE_MS));
      await submitter();
    }));
    const submittedAt = Date.now();
    expect(killed).not.toBeNull();
    console.info(`commands per master before the kill: ${killed!.shares.map((s) => `${(s * 100).toFixed(1)} %`).join(', ')}`);
    expect(refused).toEqual([]);
    for (const share of killed!.shares) expect(share).toBeGreaterThanOrEqual(0.15);

    // Poll every scan until done (a 503 or 404 during the failover is retried: the reconciler brings lost scans back).
    const results = new Map<string, ScanResult>();
    while (results.size < submitted.length && Date.now() - submittedAt < FINISH_BOUND_MS) {
      await Promise.all(submitted.filter((s) => !results.has(s.id)).map(async (s) => {
        const res = await fetch(`${api}/scans/${s.id}`, { signal: AbortSignal.timeout(15000) }).catch(() => null);
        if (res?.status !== 200) return;
        const body = (await res.json()) as ScanResult & { state: string };
        if (body.state === 'done') results.set(s.id, body);
      }));
      if (results.size < submitted.length) await new Promise((r) => setTimeout(r, 500));
    }
    const finishedMs = Date.now() - killed!.at;
    const lost = submitted.filter((s) => !results.has(s.id)).map((s) => s.id);
    const wrong = submitted.filter((s) => {
      const r = results.get(s.id);
      if (!r) return false;
      const symbols = Object.keys(r.symbols).sort();
      return s.virus ? r.action !== 'reject' || symbols.join() !== 'CLAM_VIRUS' : r.action !== 'no action' || symbols.length > 0;
    }).map((s) => ({ id: s.id, virus: s.virus, result: results.get(s.id) }));
    const reenqueued = (jsonLogLines(fleet.producer.logs()) as Record<string, unknown>[]).filter((l) => l.code === 'AVF_WARN_SCANS_REENQUEUED');
    console.info(`${submitted.length} scans accepted, ${results.size} finished ${finishedMs} ms after the kill; reconciler: ${JSON.stringify(reenqueued.map((l) => ({ stateLost: l.stateLost, jobsLost: l.jobsLost })))}`);
    expect({ submitted: submitted.length, lost, wrong }).toEqual({ submitted: MESSAGES, lost: [], wrong: [] });
    // Through the outage every line each process wrote is pino JSON.
    for (const proc of [fleet.producer, fleet.worker, second]) {
      const text = proc.logs().split('\n').filter((l) => l.trim() !== '');
      expect(text.filter((l) => !l.startsWith('{'))).toEqual([]);
    }
  } finally {
    await second?.stop();
    await fleet?.stop();
  }
});
