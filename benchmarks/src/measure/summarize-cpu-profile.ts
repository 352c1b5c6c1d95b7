import { readFileSync } from 'node:fs';

/** The parts of a V8 `.cpuprofile` this summary reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

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

/** `node benchmarks/summarize-cpu-profile.js FILE.cpuprofile… [--top N]`: prints the summary of each profile. */
export function summarizeCpuProfileMain(argv: readonly string[]): number {
  const topAt = argv.indexOf('--top');
  const limit = topAt >= 0 ? Number(argv[topAt + 1]) : 25;
  const files = argv.filter((a, i) => a !== '--top' && i !== topAt + 1);
  if (files.length === 0 || !Number.isInteger(limit) || limit < 1) {
    process.stderr.write('usage: node benchmarks/summarize-cpu-profile.js FILE.cpuprofile… [--top N]\n');
    return 2;
  }
  for (const file of files) {
    const s = summarizeCpuProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, limit);
    process.stdout.write(`${file}: ${s.totalMs.toFixed(0)} ms busy\n-- by source\n${format(s.sources)}\n-- by function (self time)\n${format(s.functions)}\n\n`);
  }
  return 0;
}
