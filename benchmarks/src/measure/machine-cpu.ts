import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

/** Busy and total jiffies of the whole machine (/proc/stat `cpu` line). */
export interface CpuTimes {
  busy: number;
  total: number;
}

export function machineCpuTimes(): CpuTimes {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.slice(0, 8).reduce((s, x) => s + x, 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

/** Share of all cores busy between two readings (0–1), and the busy CPU seconds (USER_HZ 100). */
export function machineBusy(a: CpuTimes, b: CpuTimes): { share: number; cpuSec: number } {
  const total = b.total - a.total;
  return { share: total > 0 ? (b.busy - a.busy) / total : 0, cpuSec: (b.busy - a.busy) / 100 };
}

export function loadAverage1m(): number {
  return Math.round(loadavg()[0]! * 100) / 100;
}
