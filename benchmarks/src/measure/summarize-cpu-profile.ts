import { readFileSync } from 'node:fs';
import { STAGE_LABELS, type Role, type Stage } from './profile-stages';
import { profileRole, stageDetail, stageMs, stageTable, type BenchPass, type CpuProfile } from './stage-table';

export interface ProfileLine {
  readonly what: string;
  readonly ms: number;
  readonly share: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  /** Self time per function (name and file:line), largest first. */
  readonly functions: ProfileLine[];
  /** Self time per source (file, or the package under node_modules), largest first. */
  readonly sources: ProfileLine[];
}

function sourceOf(url: string): string {
  if (url === '') return '(native / idle / gc)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return `npm:${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (url.startsWith('node:')) return url;
  const m = /\/(apps|packages|benchmarks|test)\/(.*)$/.exec(url);
  return m ? `${m[1]}/${m[2]}` : url;
}

function top(map: Map<string, number>, totalMs: number, n: number): ProfileLine[] {
  return [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([what, ms]) => ({ what, ms, share: totalMs > 0 ? ms / totalMs : 0 }));
}

/** Self time by function and by source of one profile; `(idle)` and `(program)` are left out of the total. */
export function summarizeCpuProfile(profile: CpuProfile, limit = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const fn = new Map<string, number>();
  const src = new Map<string, number>();
  let totalMs = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    if (!node) return;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') return;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    totalMs += ms;
    const name = `${functionName || '(anonymous)'} ${url ? `${sourceOf(url)}:${lineNumber + 1}` : ''}`.trim();
    fn.set(name, (fn.get(name) ?? 0) + ms);
    const s = functionName === '(garbage collector)' ? '(garbage collector)' : sourceOf(url);
    src.set(s, (src.get(s) ?? 0) + ms);
  });
  return { totalMs, functions: top(fn, totalMs, limit), sources: top(src, totalMs, limit) };
}

function format(lines: readonly ProfileLine[]): string {
  return lines.map((l) => `${l.ms.toFixed(0).padStart(8)} ms ${(100 * l.share).toFixed(1).padStart(5)} %  ${l.what}`).join('\n');
}

const USAGE = 'usage: node benchmarks/summarize-cpu-profile.js FILE.cpuprofile… [--top N] [--bench BENCH.json [--stage producer|worker:STAGE]]\n';

/**
 * `node benchmarks/summarize-cpu-profile.js FILE.cpuprofile… [--top N] [--bench BENCH.json [--stage ROLE:STAGE]]`:
 * prints the summary of each profile and its CPU by stage of the message path; with `--bench` (the
 * JSON of the run that wrote the profiles), the per-stage table of its fleet passes in ms per message
 * instead, or with `--stage` (e.g. `producer:split-decode`) that stage's top functions per pass.
 */
export function summarizeCpuProfileMain(argv: readonly string[]): number {
  const files: string[] = [];
  let limit = 25;
  let bench: string | null = null;
  let stage: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--top') limit = Number(argv[++i]);
    else if (argv[i] === '--bench') bench = argv[++i] ?? '';
    else if (argv[i] === '--stage') stage = argv[++i] ?? '';
    else files.push(argv[i]!);
  }
  const [role, stageName] = (stage ?? '').split(':') as [string, string | undefined];
  const stageKnown = stage === null || ((role === 'producer' || role === 'worker') && STAGE_LABELS[role].some(([st]) => st === stageName));
  if (files.length === 0 || !Number.isInteger(limit) || limit < 1 || bench === '' || !stageKnown || (stage !== null && bench === null)) {
    process.stderr.write(USAGE);
    return 2;
  }
  const profiles = files.map((file) => ({ file, profile: JSON.parse(readFileSync(file, 'utf8')) as CpuProfile }));
  if (bench !== null) {
    const passes = (JSON.parse(readFileSync(bench, 'utf8')) as { passes: BenchPass[] }).passes;
    process.stdout.write(stage === null ? stageTable(profiles, passes) : stageDetail(profiles, passes, role as Role, stageName as Stage, limit));
    return 0;
  }
  for (const { file, profile } of profiles) {
    const s = summarizeCpuProfile(profile, limit);
    const role = profileRole(file, profile, []);
    const stages = role === null ? '(neither a producer nor a worker profile)' : format(stageLines(profile, role, s.totalMs));
    process.stdout.write(`${file}: ${s.totalMs.toFixed(0)} ms busy\n-- by source\n${format(s.sources)}\n-- by function (self time)\n${format(s.functions)}\n-- by stage (${role ?? '?'})\n${stages}\n\n`);
  }
  return 0;
}

function stageLines(profile: CpuProfile, role: 'producer' | 'worker', totalMs: number): ProfileLine[] {
  const ms = stageMs(profile, role);
  return STAGE_LABELS[role].filter(([st]) => (ms.get(st) ?? 0) > 0).map(([st, what]) => ({ what, ms: ms.get(st)!, share: totalMs > 0 ? ms.get(st)! / totalMs : 0 }));
}
