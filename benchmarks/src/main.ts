import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { repoRoot } from '../../test/helpers/repo-root';
import { HELP, parseBenchArgs, type BenchArgs } from './bench-args';
import { formatMemory } from './phases/memory-phase';
import { formatSoak } from './phases/soak-phase';
import { runBench } from './run-bench';

/** `npm run bench [-- flags]`: prints the table, writes the JSON, returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const log = (line: string): void => {
    process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  };
  const report = await runBench(args, log);
  const out = args.out ? resolve(args.out) : join(repoRoot(), 'bench-results', `bench-${report.startedAt.replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  const m = report.machine;
  process.stdout.write(
    `\navfleet bench: ${report.corpus.messages} messages (seed ${args.seed}), client concurrency ${args.concurrency}, ` +
      `${m.cores} x ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.clamd ?? 'clamd ?'}, ${m.rspamd ?? 'no rspamd'}, Redis ${m.redis ?? '?'}, Node ${m.node}, ` +
      `load average ${report.loadAverage1m.start} -> ${report.loadAverage1m.end}\n\n` +
      (report.limit.length + report.passes.length > 0
        ? `${report.table}\n\nx lim = messages/s over the best raw-clamd limit of this run; p50 x = p50 over the time to scan one average message at the limit x1.\n`
        : '') +
      `${report.memory ? `\n${formatMemory(report.memory)}\n` : ''}${report.soak ? `\n${formatSoak(report.soak)}\n` : ''}` +
      `JSON: ${out} (whole run ${report.durationSec} s)\n`,
  );
  const bad =
    report.passes.reduce((s, p) => s + p.errors + p.wrongVerdicts, 0) +
    report.limit.reduce((s, l) => s + l.errors, 0) +
    (report.memory && !report.memory.correct ? 1 : 0) +
    (report.soak ? report.soak.errors + report.soak.wrongVerdicts : 0);
  return bad > 0 ? 1 : 0;
}
