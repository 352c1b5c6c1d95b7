/** A place in a configuration file (1-based line and column). */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export function formatPosition(p: SourcePosition | null | undefined): string {
  return p ? `${p.file}:${p.line}:${p.column}` : '<unknown>';
}

/**
 * `items` in the order of the configuration: files in the order they first
 * appear among the items, then line and column; items without a position
 * keep their order, after the others. Stable. (Checks run option by option,
 * not in the order the lines are written; an operator reads top-down.)
 */
export function inSourceOrder<T>(items: readonly T[], positionOf: (item: T) => SourcePosition | null): T[] {
  const fileRank = new Map<string, number>();
  const keyed = items.map((item, index) => {
    const p = positionOf(item);
    if (p && !fileRank.has(p.file)) fileRank.set(p.file, fileRank.size);
    return { item, index, p };
  });
  keyed.sort((a, b) => {
    if (!a.p || !b.p) return (a.p ? 0 : 1) - (b.p ? 0 : 1) || a.index - b.index;
    return fileRank.get(a.p.file)! - fileRank.get(b.p.file)! || a.p.line - b.p.line || a.p.column - b.p.column || a.index - b.index;
  });
  return keyed.map((k) => k.item);
}
