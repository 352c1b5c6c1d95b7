import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/** Clock ticks per second for /proc/<pid>/stat (USER_HZ; 100 on every mainstream Linux). */
const CLK_TCK = 100;

/**
 * CPU seconds (user + system) a process has used so far, or null when it is gone; with
 * `reaped`, plus the CPU of its children that ended and were waited for (cutime + cstime).
 */
export function cpuSeconds(pid: number, reaped = false): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the `(comm)`, which may hold spaces: state is field 3, utime 14, stime 15, cutime 16, cstime 17.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12]) + (reaped ? Number(rest[13]) + Number(rest[14]) : 0)) / CLK_TCK;
  } catch {
    return null;
  }
}

/** A `kB` field of /proc/<pid>/status in bytes (VmHWM = peak RSS, VmRSS = current). */
export function statusBytes(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Resets a process's peak-RSS counter (Linux clear_refs 5); only for processes the bench started. */
export function resetPeakRss(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // not permitted or gone: VmHWM then covers the process's whole life
  }
}

/** Direct children of `pid` (e.g. rspamd's workers), read from /proc. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** A named group of processes measured together (e.g. all worker processes). */
export interface ProcessGroup {
  name: string;
  pids: () => number[];
  /** Reset VmHWM at the start (only for processes the bench owns). */
  resetPeak?: boolean;
  /**
   * Count the CPU of children that ended during the phase (cutime + cstime of the listed
   * pids): for a master whose short-lived children come and go (Postfix). A child that was
   * running at the start and ended before the stop is in its parent's cutime whole; its CPU
   * before the start is taken off again.
   */
  reaped?: boolean;
}

export interface GroupUsage {
  cpuSec: number;
  /** Largest peak RSS among the group's processes (VmHWM, or sampled VmRSS when VmHWM could not be reset). */
  peakRssBytes: number;
  processes: number;
}

/**
 * Measures CPU seconds (delta) and peak RSS of process groups over one phase. VmRSS is
 * sampled every 100 ms too, for processes whose VmHWM covers more than the phase.
 */
export class ProcessMeter {
  private readonly startCpu = new Map<number, number>();
  private readonly startPids = new Map<string, number[]>();
  private readonly sampled = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly groups: readonly ProcessGroup[]) {}

  start(): void {
    for (const g of this.groups) {
      const pids = g.pids();
      this.startPids.set(g.name, pids);
      for (const pid of pids) {
        this.startCpu.set(pid, cpuSeconds(pid, g.reaped) ?? 0);
        if (g.resetPeak) resetPeakRss(pid);
      }
    }
    this.timer = setInterval(() => this.sample(), 100);
    this.timer.unref();
  }

  private sample(): void {
    for (const g of this.groups) {
      for (const pid of g.pids()) {
        const rss = statusBytes(pid, 'VmRSS') ?? 0;
        if (rss > (this.sampled.get(pid) ?? 0)) this.sampled.set(pid, rss);
      }
    }
  }

  stop(): Record<string, GroupUsage> {
    this.sample();
    if (this.timer) clearInterval(this.timer);
    const out: Record<string, GroupUsage> = {};
    for (const g of this.groups) {
      let cpu = 0;
      let peak = 0;
      const pids = g.pids();
      for (const pid of pids) {
        cpu += Math.max(0, (cpuSeconds(pid, g.reaped) ?? 0) - (this.startCpu.get(pid) ?? 0));
        const hwm = g.resetPeak ? statusBytes(pid, 'VmHWM') : null;
        peak = Math.max(peak, hwm ?? this.sampled.get(pid) ?? 0);
      }
      if (g.reaped) {
        for (const pid of this.startPids.get(g.name) ?? []) {
          if (!pids.includes(pid)) cpu -= this.startCpu.get(pid) ?? 0;
        }
        cpu = Math.max(0, cpu);
      }
      out[g.name] = { cpuSec: round(cpu, 2), peakRssBytes: peak, processes: pids.length };
    }
    return out;
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
