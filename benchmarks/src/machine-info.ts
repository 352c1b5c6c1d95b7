import { execFileSync } from 'node:child_process';
import { cpus, release, totalmem } from 'node:os';
import { findExecutable } from '../../test/helpers/daemon-process';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  clamd: string | null;
  rspamd: string | null;
  redis: string | null;
}

function version(bin: string, args: string[]): string | null {
  const path = findExecutable(bin);
  if (!path) return null;
  try {
    return execFileSync(path, args, { encoding: 'utf8', timeout: 10000 }).split('\n')[0]!.trim();
  } catch {
    return null;
  }
}

/** What the figures were measured on. */
export function machineInfo(redisVersion: string | null): MachineInfo {
  const c = cpus();
  return {
    cpuModel: c[0]?.model ?? 'unknown',
    cores: c.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    clamd: version('clamd', ['--version']),
    rspamd: version('rspamd', ['--version']),
    redis: redisVersion,
  };
}
