import type { SymbolInsertion } from './verdicts-to-symbols';

/**
 * Accumulates symbol insertions as Rspamd does (docs/semantics.md §7.5): options
 * de-duplicated in first-seen order and cut to `...` past a byte limit, every
 * insertion counted, weights summed up to the symbol's nshots. Past the cap
 * an insertion only raises the weight to its own when that is larger in
 * magnitude with the same sign (Rspamd's "single" mode).
 */
export interface SymbolEntry {
  readonly name: string;
  readonly options: string[];
  weight: number;
  insertions: number;
  /** Option bytes so far; -1 once truncated. */
  optionBytes: number;
}

export class SymbolTable {
  private readonly entries = new Map<string, SymbolEntry>();

  constructor(
    private readonly maxShotsOf: (symbol: string) => number,
    private readonly maxOptionsBytes: number,
  ) {}

  add(insertion: SymbolInsertion): void {
    let entry = this.entries.get(insertion.symbol);
    if (entry === undefined) {
      entry = { name: insertion.symbol, options: [], weight: 0, insertions: 0, optionBytes: 0 };
      this.entries.set(insertion.symbol, entry);
    }
    const cap = this.maxShotsOf(insertion.symbol);
    const w = insertion.weight;
    if (entry.insertions === 0 || cap <= 0 || entry.insertions < cap) {
      entry.weight += w;
    } else if (Math.abs(entry.weight) < Math.abs(w) && entry.weight < 0 === w < 0) {
      entry.weight = w;
    }
    entry.insertions += 1;
    this.addOption(entry, insertion.option);
  }

  list(): readonly SymbolEntry[] {
    return [...this.entries.values()];
  }

  private addOption(entry: SymbolEntry, option: string): void {
    if (entry.optionBytes < 0 || entry.options.includes(option)) return;
    const bytes = Buffer.byteLength(option);
    if (this.maxOptionsBytes > 0 && entry.optionBytes + bytes > this.maxOptionsBytes) {
      entry.options.push('...');
      entry.optionBytes = -1;
      return;
    }
    entry.options.push(option);
    entry.optionBytes += bytes;
  }
}
