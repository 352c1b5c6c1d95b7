import type { Verdict } from './classify';
import type { Decision } from './known-differences';
import type { ManifestMismatch } from './manifest-check';
import { formatOutcome, type SideResult } from './outcome';

export interface MessageRow {
  readonly file: string;
  readonly rspamd: SideResult;
  readonly avfleet: SideResult;
  readonly verdict: Verdict;
}

const LABEL = { identical: 'identical', explained: 'differs', unexplained: 'UNEXPLAINED' } as const;

/** The printed report: one line per message, the explained and unexplained differences in detail, the totals. */
export function formatReport(rows: readonly MessageRow[], decisions: ReadonlyMap<string, Decision>, manifest: readonly ManifestMismatch[]): string {
  const out: string[] = [];
  const width = Math.max(...rows.map((r) => r.file.length), 4);
  out.push(`${'status'.padEnd(12)}${'message'.padEnd(width + 2)}decision`);
  for (const r of rows) {
    const decision = r.verdict.kind === 'explained' ? r.verdict.known.decision : '';
    out.push(`${LABEL[r.verdict.kind].padEnd(12)}${r.file.padEnd(width + 2)}${decision}`);
  }

  const explained = rows.filter((r) => r.verdict.kind === 'explained');
  if (explained.length > 0) {
    out.push('', 'Differences with a deliberate decision:');
    for (const r of explained) {
      if (r.verdict.kind !== 'explained') continue;
      const d = decisions.get(r.verdict.known.decision);
      out.push(`  ${r.file}`);
      out.push(`    ${r.verdict.known.decision} (${d?.subject ?? '?'}): ${r.verdict.known.explanation}`);
      out.push(`    rspamd:  ${formatOutcome(r.rspamd)}`);
      out.push(`    avfleet: ${formatOutcome(r.avfleet)}`);
    }
  }

  const unexplained = rows.filter((r) => r.verdict.kind === 'unexplained');
  if (unexplained.length > 0) {
    out.push('', 'UNEXPLAINED differences (fix the bug, or record a decision in docs/decisions.md and scripts/parity/known-differences.json):');
    for (const r of unexplained) {
      if (r.verdict.kind !== 'unexplained') continue;
      out.push(`  ${r.file}`);
      out.push(`    rspamd:  ${formatOutcome(r.rspamd)}`);
      out.push(`    avfleet: ${formatOutcome(r.avfleet)}`);
      out.push(`    ${r.verdict.reason}`);
    }
  }

  const byDecision = new Map<string, number>();
  for (const r of explained) if (r.verdict.kind === 'explained') byDecision.set(r.verdict.known.decision, (byDecision.get(r.verdict.known.decision) ?? 0) + 1);
  const perDecision = [...byDecision.entries()].map(([id, n]) => `${id} ×${n}`).join(', ');

  out.push('', `Rspamd (live) against the manifest's recorded rspamd_av/rspamd_action: ${rows.length - manifest.length}/${rows.length} agree`);
  for (const m of manifest) {
    out.push(`  ${m.file}`, `    recorded: ${m.recorded}`, `    live:     ${m.live}`);
    out.push(m.note ? `    known: ${m.note}` : '    UNKNOWN: check the Rspamd setup (rule, clamd settings, signatures) before trusting this run');
  }

  out.push(
    '',
    `Summary: ${rows.length} messages: ${count(rows, 'identical')} identical, ${explained.length} differ with a decision${perDecision ? ` (${perDecision})` : ''}, ${unexplained.length} UNEXPLAINED`,
  );
  return out.join('\n');
}

function count(rows: readonly MessageRow[], kind: Verdict['kind']): number {
  return rows.filter((r) => r.verdict.kind === kind).length;
}
