import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath, repoRoot } from './repo-root';
import { waitUntil } from './wait-until';

/**
 * Runs the real `avfleet producer` / `avfleet worker` commands as child processes
 * (node apps/cli/bin/avfleet.js …), the way an operator starts them: settings by
 * flag and environment, readiness by GET /readyz, stop by SIGTERM.
 * Needs the compiled CLI (`npm run build`; `npm test` builds before jest runs).
 */

export type FleetRole = 'producer' | 'worker';

export interface StartFleetProcessOptions {
  readonly role: FleetRole;
  /** antivirus.conf for --config. */
  readonly configPath: string;
  /** `host:port` for --listen (producer) or --metrics-listen (worker); /readyz is polled there. */
  readonly listen: string;
  /** Settings as environment variables (AVFLEET_QUEUE_PREFIX, AVFLEET_STORE, …). */
  readonly env?: Readonly<Record<string, string>>;
  /** Extra command-line arguments after the role. */
  readonly args?: readonly string[];
  /** Bound on the wait for /readyz (default 20 s). */
  readonly readyTimeoutMs?: number;
  /** Append the output to this file instead of keeping it in memory (long runs: the bench). */
  readonly logFile?: string;
  /** Node options before the CLI path, after the launcher's own (launcherNodeFlags), e.g. `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
}

export interface FleetProcess {
  readonly role: FleetRole;
  readonly pid: number;
  /** `http://host:port` of the listener that answers /readyz (the API for a producer). */
  readonly baseUrl: string;
  /** Everything the process wrote to stdout and stderr so far. */
  logs(): string;
  /** Exit code or signal once the process has ended, else undefined. */
  exitStatus(): string | undefined;
  /** SIGTERM, then SIGKILL after `graceMs` (default 10 s); resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Path of the CLI launcher; throws with what to do when the CLI is not compiled. */
export function requireBuiltCli(): string {
  const root = repoRoot();
  const dist = join(root, 'apps', 'cli', 'dist', 'cli.js');
  if (!existsSync(dist)) {
    throw new Error(
      `AVF_ERR_TEST_CLI_NOT_BUILT: ${dist} is missing; the fleet tests run the compiled CLI as child processes. ` +
        'Run `npm run build` first (`npm test` does it before jest).',
    );
  }
  const stale = staleWorkspaces(root);
  if (stale.length > 0) {
    // A warning, not a failure: `npm test` always builds first; a hand-run jest may be testing old code.
    console.warn(`fleet tests: sources changed since the last build in ${stale.join(', ')}; run \`npm run build\` to test the current code`);
  }
  return join(root, 'apps', 'cli', 'bin', 'avfleet.js');
}

const WORKSPACES = ['packages/config', 'packages/scanners', 'packages/core', 'apps/producer', 'apps/worker', 'apps/cli'];

/** Workspaces with a non-test source file newer than their last build (dist/.tsbuildinfo). */
function staleWorkspaces(root: string): string[] {
  const newest = (dir: string): number => {
    let max = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) max = Math.max(max, newest(p));
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) max = Math.max(max, statSync(p).mtimeMs);
    }
    return max;
  };
  return WORKSPACES.filter((ws) => {
    const info = join(root, ws, 'dist', '.tsbuildinfo');
    return !existsSync(info) || newest(join(root, ws, 'src')) > statSync(info).mtimeMs;
  });
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('AVF_ERR_TEST_PORT: the OS gave no free port on 127.0.0.1'))));
    });
  });
}

/**
 * The environment for a child: the parent's, minus every AVFLEET_* setting (so a developer's
 * own settings or settings file cannot leak in; the AVFLEET_TEST_* service addresses stay),
 * plus `extra`.
 */
export function childEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('AVFLEET_') && !k.startsWith('AVFLEET_TEST_')) continue;
    env[k] = v;
  }
  return { LOG_LEVEL: 'info', ...env, ...extra };
}

/**
 * The Node flags the launcher's first line gives (`#!/usr/bin/env -S node FLAGS`, D64): what
 * `avfleet …` and the Docker image run with, so a child started as `node <bin>` gets them too.
 */
export function launcherNodeFlags(bin: string): string[] {
  const first = readFileSync(bin, 'latin1').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env\s+(?:-S\s+)?node((?:\s+--\S+)*)\s*$/.exec(first);
  if (!m) throw new Error(`AVF_ERR_TEST_LAUNCHER_LINE: ${bin} does not start with '#!/usr/bin/env [-S] node [--flags]' (got '${first}'); fix the launcher's first line`);
  return (m[1] ?? '').split(/\s+/).filter((f) => f !== '');
}

/** Starts `avfleet <role>` (with the launcher's Node flags) and resolves once its /readyz answers 200. */
export async function startFleetProcess(opts: StartFleetProcessOptions): Promise<FleetProcess> {
  const bin = requireBuiltCli();
  const listenFlag = opts.role === 'producer' ? '--listen' : '--metrics-listen';
  const args = [...launcherNodeFlags(bin), ...(opts.nodeArgs ?? []), bin, opts.role, '--config', opts.configPath, listenFlag, opts.listen, ...(opts.args ?? [])];
  const { child, logs } = spawnLogged(args, childEnv(opts.env), opts.logFile);
  let exit: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = signal ?? `exit code ${code}`;
      resolve();
    });
    child.once('error', (err) => {
      exit = err.message;
      resolve();
    });
  });
  const baseUrl = `http://${opts.listen}`;
  const stop = async (graceMs = 10000): Promise<void> => {
    if (exit !== undefined || child.pid === undefined) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  if (child.pid === undefined) {
    await exited;
    throw new Error(`AVF_ERR_TEST_SPAWN: could not start avfleet ${opts.role}: ${exit ?? 'no pid'}`);
  }
  const timeoutMs = opts.readyTimeoutMs ?? 20000;
  try {
    await waitUntil(async () => (await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2000) })).status === 200, {
      timeoutMs,
      intervalMs: 100,
      failureMessage: () =>
        `AVF_ERR_TEST_FLEET_START: avfleet ${opts.role} (pid ${child.pid}) did not answer 200 on ${baseUrl}/readyz within ${timeoutMs} ms; its output:\n${tail(logs())}`,
      abortWhen: () => (exit === undefined ? undefined : `AVF_ERR_TEST_FLEET_START: avfleet ${opts.role} exited (${exit}) before it was ready; its output:\n${tail(logs())}`),
    });
  } catch (err) {
    await stop(2000);
    throw err;
  }
  return { role: opts.role, pid: child.pid, baseUrl, logs, exitStatus: () => exit, stop };
}

/** Spawns node with `args`; the output goes to memory, or appended to `logFile`. */
function spawnLogged(args: string[], env: NodeJS.ProcessEnv, logFile: string | undefined): { child: ChildProcess; logs: () => string } {
  if (logFile !== undefined) {
    const fd = openSync(logFile, 'a');
    try {
      const child = spawn(process.execPath, args, { cwd: repoRoot(), env, stdio: ['ignore', fd, fd] });
      return { child, logs: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '') };
    } finally {
      closeSync(fd);
    }
  }
  const child = spawn(process.execPath, args, { cwd: repoRoot(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: string[] = [];
  child.stdout?.setEncoding('utf8').on('data', (d: string) => chunks.push(d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => chunks.push(d));
  return { child, logs: () => chunks.join('') };
}

/** The last `max` characters of a log, for error messages. */
export function tail(text: string, max = 4000): string {
  return text.length <= max ? text : `…${text.slice(-max)}`;
}

export interface StartFleetOptions {
  readonly configPath: string;
  /** Settings for both processes (AVFLEET_QUEUE_PREFIX, AVFLEET_STORE, AVFLEET_REDIS_URL, …). */
  readonly env: Readonly<Record<string, string>>;
  readonly producerArgs?: readonly string[];
  readonly workerArgs?: readonly string[];
}

/** One producer and one worker process sharing settings. */
export interface Fleet {
  readonly producer: FleetProcess;
  readonly worker: FleetProcess;
  /** The producer's API, `http://127.0.0.1:<port>`. */
  readonly apiUrl: string;
  /** Both processes' output, labelled, for failure messages. */
  logs(): string;
  /** Stops both (SIGTERM, graceful close); idempotent. */
  stop(): Promise<void>;
}

/** Starts a worker and a producer as separate processes on free ports and waits until both are ready. */
export async function startFleet(opts: StartFleetOptions): Promise<Fleet> {
  const [apiPort, opsPort] = [await freePort(), await freePort()];
  const worker = await startFleetProcess({
    role: 'worker', configPath: opts.configPath, listen: `127.0.0.1:${opsPort}`, env: opts.env, args: opts.workerArgs,
  });
  let producer: FleetProcess;
  try {
    producer = await startFleetProcess({
      role: 'producer', configPath: opts.configPath, listen: `127.0.0.1:${apiPort}`, env: opts.env, args: opts.producerArgs,
    });
  } catch (err) {
    await worker.stop();
    throw err;
  }
  return {
    producer,
    worker,
    apiUrl: producer.baseUrl,
    logs: () => `--- producer (pid ${producer.pid}) ---\n${tail(producer.logs())}\n--- worker (pid ${worker.pid}) ---\n${tail(worker.logs())}`,
    async stop() {
      await Promise.all([worker.stop(), producer.stop()]);
    },
  };
}

/**
 * Fills a test/fixtures/configs template (`@NAME@` placeholders) and writes it to a fresh
 * folder under the OS temp folder; returns the file's path. Every placeholder in the
 * template must be given, and every given value must be used. The folder is the caller's to
 * remove (`rmSync(dirname(path), { recursive: true })`).
 */
export function renderTestConfig(template: string, vars: Readonly<Record<string, string>>): string {
  let text = readFileSync(fixturePath('configs', template), 'utf8');
  for (const [name, value] of Object.entries(vars)) {
    const token = `@${name}@`;
    if (!text.includes(token)) throw new Error(`AVF_ERR_TEST_CONFIG: ${template} has no placeholder ${token}`);
    text = text.split(token).join(value);
  }
  const left = /@[A-Z_]+@/.exec(text);
  if (left) throw new Error(`AVF_ERR_TEST_CONFIG: ${template} still has placeholder ${left[0]}; pass a value for it`);
  const dir = mkdtempSync(join(tmpdir(), 'avft-config-'));
  const path = join(dir, template);
  writeFileSync(path, text);
  return path;
}
