import { STAGE_LABELS, roleOf, stagesOfNodes, type Frame, type Role, type Stage } from './profile-stages';

/** The parts of a V8 `.cpuprofile` read here. */
export interface CpuProfile {
  nodes: { id: number; callFrame: Frame & { lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** The parts of one pass of the bench's JSON (`passes[]`) read here. */
export interface BenchPass {
  label: string;
  messages: number;
  /** First request and last answer, µs on the monotonic clock of the profiles (absent before this field existed). */
  monotonicUs?: [number, number];
  cpuSec: Record<string, number>;
  redisCommands: Record<string, number>;
  extra?: { pids?: Partial<Record<Role, number[]>> };
}

/** CPU ms by stage of one profile within [fromUs, toUs) of the profile's clock (all of it when absent). */
export function stageMs(profile: CpuProfile, role: Role, window?: readonly [number, number]): Map<Stage, number> {
  return samplesBy(profile, role, window, (stage) => stage);
}

/**
 * Sample ms of one stage by function, within the window: each sample under its innermost
 * function with a source outside Node (`function file:line`), the leaf it called in brackets
 * when that is a native or Node function (`[writeBuffer] in …`).
 */
export function stageFunctionMs(profile: CpuProfile, role: Role, stage: Stage, window?: readonly [number, number]): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const nameOf = (id: number): string => {
    const leaf = byId.get(id)!.callFrame;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)!.callFrame;
      if (f.url !== '' && !f.url.startsWith('node:')) {
        const where = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules|packages|apps)\//, '$1/')}:${f.lineNumber + 1}`;
        return at !== id ? `[${leaf.functionName}] in ${where}` : where;
      }
    }
    return `[${leaf.functionName}]`;
  };
  return samplesBy(profile, role, window, (s, id) => (s === stage ? nameOf(id) : null));
}

function samplesBy<K>(profile: CpuProfile, role: Role, window: readonly [number, number] | undefined, key: (stage: Stage, id: number) => K | null): Map<K, number> {
  const stages = stagesOfNodes(profile.nodes, role);
  const out = new Map<K, number>();
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (window && (t < window[0] || t >= window[1])) return;
    const k = key(stages.get(id) ?? 'other', id);
    if (k !== null) out.set(k, (out.get(k) ?? 0) + dt / 1000);
  });
  return out;
}

/** The pid in a `--cpu-prof` file name (CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile), or null. */
export function pidOfProfileFile(file: string): number | null {
  const m = /CPU\.\d+\.\d+\.(\d+)\.\d+\.\d+\.cpuprofile$/.exec(file);
  return m ? Number(m[1]) : null;
}

/** A profile's role: by the pids the bench recorded, else by the code it ran. */
export function profileRole(file: string, profile: CpuProfile, passes: readonly BenchPass[]): Role | null {
  const pid = pidOfProfileFile(file);
  for (const p of passes) {
    for (const role of ['producer', 'worker'] as const) if (pid !== null && p.extra?.pids?.[role]?.includes(pid)) return role;
  }
  return roleOf(profile.nodes);
}

/** Redis commands by what sent them, as far as `INFO commandstats` by name tells. */
export const REDIS_GROUPS = [
  'cache probe (GET, MGET)',
  'cache write (SETEX)',
  'result save (EVAL and the EXISTS, SET of its script)',
  'wait for the result (XREAD)',
  'job protocol (BullMQ: its scripts and every command inside them)',
] as const;

export function redisByGroup(commands: Record<string, number>): Record<(typeof REDIS_GROUPS)[number], number> {
  const c = (name: string): number => commands[name] ?? 0;
  // Each result save is one EVAL running EXISTS and SET (aggregate/result-store.ts); BullMQ uses EVALSHA.
  const saves = Math.min(c('eval'), c('exists'), c('set'));
  const total = Object.values(commands).reduce((a, b) => a + b, 0);
  const probe = c('get') + c('mget');
  const write = c('setex');
  const wait = c('xread');
  return {
    'cache probe (GET, MGET)': probe,
    'cache write (SETEX)': write,
    'result save (EVAL and the EXISTS, SET of its script)': 3 * saves,
    'wait for the result (XREAD)': wait,
    'job protocol (BullMQ: its scripts and every command inside them)': total - probe - write - 3 * saves - wait,
  };
}

/**
 * The functions of one stage of one process, per pass (markdown): sample ms per message of the
 * `limit` largest, as stageTable cuts the passes.
 */
export function stageDetail(
  profiles: readonly { file: string; profile: CpuProfile }[], passes: readonly BenchPass[], role: Role, stage: Stage, limit: number,
): string {
  const out: string[] = [];
  for (const p of passes) {
    if (p.monotonicUs === undefined || p.messages === 0) continue;
    const sum = new Map<string, number>();
    for (const { file, profile } of profiles) {
      if (profileRole(file, profile, passes) !== role) continue;
      for (const [fn, ms] of stageFunctionMs(profile, role, stage, p.monotonicUs)) sum.set(fn, (sum.get(fn) ?? 0) + ms);
    }
    const top = [...sum].sort((a, b) => b[1] - a[1]).slice(0, limit);
    out.push(`${p.label}: ${role} · ${stage}, sample ms per message (wall-clock while busy)`, ...top.map(([fn, ms]) => `${(ms / p.messages).toFixed(3).padStart(8)}  ${fn}`), '');
  }
  return out.join('\n');
}

const fmt = (x: number): string => (x < 0.05 ? '0' : x < 10 ? x.toFixed(2) : x.toFixed(1));

/**
 * The per-stage table (markdown) of the bench's fleet passes: CPU ms per message by process and
 * stage (each stage's share of the profile's busy samples times the process's CPU per message from
 * /proc: the samples are wall-clock, a busy machine stretches them), and Redis commands per message
 * by group. Profiles are matched to passes by time: a pass's samples are
 * those between its first request and its last answer.
 */
export function stageTable(profiles: readonly { file: string; profile: CpuProfile }[], passes: readonly BenchPass[]): string {
  const timed = passes.filter((p): p is BenchPass & { monotonicUs: [number, number] } => p.monotonicUs !== undefined && p.messages > 0);
  const perPass = timed.map(() => ({ producer: new Map<Stage, number>(), worker: new Map<Stage, number>() }));
  for (const { file, profile } of profiles) {
    const role = profileRole(file, profile, passes);
    if (role === null) continue;
    timed.forEach((p, i) => {
      if (profile.endTime < p.monotonicUs[0] || profile.startTime > p.monotonicUs[1]) return;
      for (const [stage, ms] of stageMs(profile, role, p.monotonicUs)) perPass[i]![role].set(stage, (perPass[i]![role].get(stage) ?? 0) + ms);
    });
  }
  const head = `| process · stage, CPU ms per message | ${timed.map((p) => p.label).join(' | ')} |\n| --- |${timed.map(() => ' ---: |').join('')}\n`;
  const rows: string[] = [];
  for (const role of ['producer', 'worker'] as const) {
    const busy = perPass.map((p) => [...p[role]].filter(([st]) => st !== 'idle').reduce((a, [, ms]) => a + ms, 0));
    const procMs = timed.map((p) => (1000 * (p.cpuSec[role] ?? 0)) / p.messages);
    for (const [stage, label] of STAGE_LABELS[role]) {
      // The profile's share of the stage times the process's CPU from /proc (samples are wall-clock while busy).
      const cells = perPass.map((p, i) => (busy[i]! > 0 ? ((p[role].get(stage) ?? 0) / busy[i]!) * procMs[i]! : 0));
      if (cells.every((x) => x < 0.05)) continue;
      rows.push(`| ${role} · ${label} | ${cells.map(fmt).join(' | ')} |`);
    }
    rows.push(`| **${role} · CPU from /proc (all threads)** | ${procMs.map((x) => `**${fmt(x)}**`).join(' | ')} |`);
    rows.push(`| ${role} · profile samples while busy / idle (main thread, wall-clock ms) | ${perPass.map((p, i) => `${fmt(busy[i]! / timed[i]!.messages)} / ${fmt((p[role].get('idle') ?? 0) / timed[i]!.messages)}`).join(' | ')} |`);
  }
  rows.push(`| Redis server, CPU from /proc | ${timed.map((p) => fmt((1000 * (p.cpuSec.redis ?? 0)) / p.messages)).join(' | ')} |`);
  const redisHead = `| Redis commands per message | ${timed.map((p) => p.label).join(' | ')} |\n| --- |${timed.map(() => ' ---: |').join('')}\n`;
  const groups = timed.map((p) => redisByGroup(p.redisCommands));
  const redisRows = REDIS_GROUPS.map((g) => `| ${g} | ${groups.map((x, i) => (x[g] / timed[i]!.messages).toFixed(1)).join(' | ')} |`);
  const totals = timed.map((p) => Object.values(p.redisCommands).reduce((a, b) => a + b, 0) / p.messages);
  redisRows.push(`| **total** | ${totals.map((t) => `**${t.toFixed(1)}**`).join(' | ')} |`);
  return `${head}${rows.join('\n')}\n\n${redisHead}${redisRows.join('\n')}\n`;
}
