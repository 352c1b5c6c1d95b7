/** One printed row of the bench table. */
export interface TableRow {
  label: string;
  msgsPerSec: number;
  ratio: number | null;
  mbPerSec: number;
  p50: number;
  p95: number;
  p99: number;
  p50Ratio: number | null;
  cpu: { front: number | null; worker: number | null; clamd: number | null; redis: number | null };
  rssMb: { front: number | null; worker: number | null; clamd: number | null; redis: number | null };
  cmdsPerMsg: number | null;
  storeKbPerMsg: number | null;
  errors: string;
  note: string;
}

const HEAD = [
  'phase', 'msg/s', 'x lim', 'MB/s', 'p50 ms', 'p95 ms', 'p99 ms', 'p50 x', 'CPU s front', 'wrk', 'clamd', 'redis',
  'RSS MB front', 'wrk', 'clamd', 'redis', 'redis cmd/msg', 'store KB/msg', 'err/wrong', 'limited by / note',
];

function f(v: number | null, digits = 1): string {
  if (v === null || !Number.isFinite(v)) return '-';
  return v.toFixed(digits);
}

/** Renders rows as a fixed-width text table (first column left-aligned, numbers right-aligned). */
export function formatTable(rows: readonly TableRow[]): string {
  const cells = rows.map((r) => [
    r.label,
    f(r.msgsPerSec, 1),
    f(r.ratio, 2),
    f(r.mbPerSec, 1),
    f(r.p50, 0),
    f(r.p95, 0),
    f(r.p99, 0),
    f(r.p50Ratio, 1),
    f(r.cpu.front),
    f(r.cpu.worker),
    f(r.cpu.clamd),
    f(r.cpu.redis),
    f(r.rssMb.front, 0),
    f(r.rssMb.worker, 0),
    f(r.rssMb.clamd, 0),
    f(r.rssMb.redis, 0),
    f(r.cmdsPerMsg, 1),
    f(r.storeKbPerMsg, 0),
    r.errors,
    r.note,
  ]);
  const widths = HEAD.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]): string =>
    c.map((v, i) => (i === 0 || i === c.length - 1 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(HEAD), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}
