import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoTmpPath } from './repo-root';
import { isProcessAlive } from './daemon-process';

/**
 * Book-keeping shared by every jest run in this checkout, so that several runs at once
 * (e.g. two developers' `npx jest …int.test.ts`) share one set of services and the last
 * run to finish stops them:
 *   .tmp/services/lock/       mkdir-lock around setup/teardown (holds the owner's pid)
 *   .tmp/services/state.json  pids of the services that our setup started
 *   .tmp/services/users/<pid> one file per jest process currently using the services
 */
export type ServiceName = 'clamd' | 'cicap' | 's3rver';
export type ServiceState = Partial<Record<ServiceName, { pid: number }>>;

const base = (): string => repoTmpPath('services');
const statePath = (): string => join(base(), 'state.json');
const usersDir = (): string => join(base(), 'users');
const lockDir = (): string => join(base(), 'lock');

/** Runs `fn` while holding the services lock (stale locks of dead processes are broken). */
export async function withServicesLock<T>(fn: () => Promise<T>, timeoutMs = 180000): Promise<T> {
  mkdirSync(base(), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lockDir());
      writeFileSync(join(lockDir(), 'owner'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner = NaN;
      try {
        owner = Number(readFileSync(join(lockDir(), 'owner'), 'utf8'));
      } catch {
        // owner file not written yet
      }
      if (Number.isInteger(owner) && owner > 0 && !isProcessAlive(owner)) {
        rmSync(lockDir(), { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `AVF_ERR_TEST_SERVICES_LOCK: ${lockDir()} is held by pid ${owner}; wait for that jest run to finish or remove the folder`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir(), { recursive: true, force: true });
  }
}

export function readServiceState(): ServiceState {
  try {
    return JSON.parse(readFileSync(statePath(), 'utf8')) as ServiceState;
  } catch {
    return {};
  }
}

export function writeServiceState(state: ServiceState): void {
  mkdirSync(base(), { recursive: true });
  writeFileSync(statePath(), `${JSON.stringify(state, null, 2)}\n`);
}

/** Registers `pid` as a user of the services. */
export function addServiceUser(pid: number): void {
  mkdirSync(usersDir(), { recursive: true });
  writeFileSync(join(usersDir(), String(pid)), `${new Date().toISOString()}\n`);
}

/** Unregisters `pid`, drops users whose process is gone, and returns the pids still using them. */
export function removeServiceUser(pid: number): number[] {
  rmSync(join(usersDir(), String(pid)), { force: true });
  return liveServiceUsers();
}

/** Pids of live users (entries of dead processes are removed). */
export function liveServiceUsers(): number[] {
  let names: string[] = [];
  try {
    names = readdirSync(usersDir());
  } catch {
    return [];
  }
  const live: number[] = [];
  for (const name of names) {
    const pid = Number(name);
    if (Number.isInteger(pid) && pid > 0 && isProcessAlive(pid)) live.push(pid);
    else rmSync(join(usersDir(), name), { force: true });
  }
  return live;
}
