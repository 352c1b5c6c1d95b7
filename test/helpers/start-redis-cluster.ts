import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseInfoFields } from '@avfleet/core';
import { requireExecutable, spawnDetached, stopProcessGroup, type DaemonHandle } from './daemon-process';
import { freePort } from './fleet-processes';
import { redisAnswers } from './start-redis';
import { waitUntil } from './wait-until';

const run = promisify(execFile);

/** cluster-node-timeout of the test cluster: a master unreachable this long is failed over to its replica. */
export const CLUSTER_NODE_TIMEOUT_MS = 2000;

/** One line of CLUSTER NODES. */
export interface ClusterNodeView {
  readonly id: string;
  /** `127.0.0.1:PORT` */
  readonly address: string;
  readonly port: number;
  readonly role: 'master' | 'replica';
  /** `fail` or `fail?` among its flags. */
  readonly failing: boolean;
  /** Id of its master (replicas), else null. */
  readonly masterId: string | null;
  /** Hash slots it serves (masters). */
  readonly slots: number;
}

/**
 * A real Redis Cluster for tests: 3 masters and 3 replicas, each a `redis-server` in
 * cluster mode on a free loopback port (with its own bus port) in a temp folder,
 * `cluster-node-timeout 2000`, no persistence, `maxmemory-policy noeviction`, created
 * with `redis-cli --cluster create … --cluster-replicas 1 --cluster-yes`.
 */
export interface PrivateRedisCluster {
  /** Every node's port, in creation order. */
  readonly ports: readonly number[];
  /** `127.0.0.1:PORT` of every node: seed nodes for a cluster client (AVFLEET_REDIS_CLUSTER_NODES). */
  readonly seeds: readonly string[];
  /** CLUSTER NODES as `port` (default: any running node) sees it. */
  nodes(port?: number): Promise<ClusterNodeView[]>;
  /** CLUSTER INFO fields of `port`. */
  info(port: number): Promise<Map<string, string>>;
  /** Resolves once every running node reports cluster_state:ok and sees every running node as healthy (bounded by `timeoutMs`). */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
  /** SIGKILLs the node on `port` (a crash: no failover handshake, no shutdown save). */
  kill(port: number): Promise<void>;
  /** Starts a killed node again on its port and folder: it rejoins with its nodes.conf (a former master as a replica). */
  restart(port: number): Promise<void>;
  running(port: number): boolean;
  /** Stops every node and removes the folder. */
  dispose(): Promise<void>;
  /** A node's output, for failure messages. */
  output(port: number): string;
}

async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run(requireExecutable('redis-cli', 'redis-tools'), ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 5000 });
  return stdout;
}

/** CLUSTER NODES text → views. */
export function parseClusterNodes(text: string): ClusterNodeView[] {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).map((line) => {
    const [id = '', addr = '', flagText = '', master = '-', , , , , ...slotRanges] = line.split(' ');
    const flags = flagText.split(',');
    const address = addr.split('@')[0] ?? '';
    const slots = slotRanges.filter((r) => !r.startsWith('[')).reduce((n, r) => {
      const [from, to = from] = r.split('-').map(Number);
      return n + ((to ?? 0) - (from ?? 0) + 1);
    }, 0);
    return {
      id, address, port: Number(address.split(':').pop()),
      role: flags.includes('master') ? 'master' : 'replica',
      failing: flags.includes('fail') || flags.includes('fail?'),
      masterId: master === '-' ? null : master,
      slots,
    } as const;
  });
}

export async function startRedisCluster(): Promise<PrivateRedisCluster> {
  const binary = requireExecutable('redis-server', 'redis-server');
  requireExecutable('redis-cli', 'redis-tools');
  const root = mkdtempSync(join(tmpdir(), 'avft-redis-cluster-'));
  // 6 client ports and 6 cluster-bus ports, all distinct (a port's bus port is not port + 10000 here: that one may be taken).
  const free = new Set<number>();
  while (free.size < 12) free.add(await freePort());
  const ports = [...free].slice(0, 6);
  const busPorts = [...free].slice(6);
  const handles = new Map<number, DaemonHandle>();
  const dirOf = (port: number): string => join(root, String(port));
  const logOf = (port: number): string => join(dirOf(port), 'redis.out');
  const output = (port: number): string => {
    try {
      return readFileSync(logOf(port), 'utf8').slice(-3000);
    } catch {
      return '(no output)';
    }
  };
  const start = async (port: number): Promise<void> => {
    const i = ports.indexOf(port);
    const args = [
      '--port', String(port), '--cluster-port', String(busPorts[i]), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
      '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(CLUSTER_NODE_TIMEOUT_MS),
      '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', '--dir', dirOf(port), '--daemonize', 'no',
    ];
    const handle = spawnDetached(binary, args, logOf(port), dirOf(port));
    handles.set(port, handle);
    await waitUntil(() => redisAnswers(port), {
      timeoutMs: 10000, intervalMs: 50,
      failureMessage: () => `AVF_ERR_TEST_REDIS_START: cluster node 127.0.0.1:${port} did not answer PING within 10 s:\n${output(port)}`,
      abortWhen: () => (handle.exitStatus() === undefined ? undefined : `AVF_ERR_TEST_REDIS_START: cluster node ${port} exited (${handle.exitStatus()}):\n${output(port)}`),
    });
  };
  const running = (port: number): boolean => handles.get(port)?.exitStatus() === undefined && handles.has(port);
  const anyRunning = (): number => {
    const p = ports.find(running);
    if (p === undefined) throw new Error('AVF_ERR_TEST_CLUSTER: no cluster node is running');
    return p;
  };
  const nodes = async (port?: number): Promise<ClusterNodeView[]> => parseClusterNodes(await redisCli(port ?? anyRunning(), 'CLUSTER', 'NODES'));
  const info = async (port: number): Promise<Map<string, string>> => parseInfoFields(await redisCli(port, 'CLUSTER', 'INFO'));
  const healthy = async (): Promise<boolean> => {
    for (const port of ports.filter(running)) {
      if ((await info(port)).get('cluster_state') !== 'ok') return false;
      const view = await nodes(port);
      const live = view.filter((n) => running(n.port));
      // Every running node known and healthy, every slot served by a running master that has a running replica.
      if (live.length !== ports.filter(running).length || live.some((n) => n.failing)) return false;
      const masters = live.filter((n) => n.role === 'master' && n.slots > 0);
      if (masters.reduce((s, m) => s + m.slots, 0) !== 16384) return false;
    }
    for (const port of ports.filter(running)) {
      const repl = await redisCli(port, 'INFO', 'replication');
      if (/role:slave/.test(repl) && !/master_link_status:up/.test(repl)) return false;
    }
    return true;
  };
  const cluster: PrivateRedisCluster = {
    ports,
    seeds: ports.map((p) => `127.0.0.1:${p}`),
    nodes,
    info,
    async waitUntilHealthy(timeoutMs = 30000) {
      await waitUntil(healthy, {
        timeoutMs, intervalMs: 200,
        failureMessage: () => `AVF_ERR_TEST_CLUSTER: the cluster did not become healthy within ${timeoutMs} ms\n${ports.map((p) => `--- ${p} ---\n${output(p)}`).join('\n')}`,
      });
    },
    async kill(port) {
      const h = handles.get(port);
      if (!h) return;
      process.kill(h.pid, 'SIGKILL');
      await waitUntil(async () => h.exitStatus() !== undefined, { timeoutMs: 5000, intervalMs: 20, failureMessage: () => `cluster node ${port} did not die` });
      handles.delete(port);
    },
    restart: (port) => start(port),
    running,
    async dispose() {
      await Promise.all([...handles.values()].map((h) => stopProcessGroup(h.pid, 3000)));
      handles.clear();
      rmSync(root, { recursive: true, force: true });
    },
    output,
  };
  try {
    for (const port of ports) {
      mkdirSync(dirOf(port));
      writeFileSync(logOf(port), '');
    }
    await Promise.all(ports.map(start));
    await run(requireExecutable('redis-cli', 'redis-tools'), ['--cluster', 'create', ...cluster.seeds, '--cluster-replicas', '1', '--cluster-yes'], { timeout: 30000 });
    await cluster.waitUntilHealthy();
  } catch (err) {
    await cluster.dispose();
    throw err;
  }
  return cluster;
}
