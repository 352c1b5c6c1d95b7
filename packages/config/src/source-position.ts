/** A place in a configuration file (1-based line and column). */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export function formatPosition(p: SourcePosition | null | undefined): string {
  return p ? `${p.file}:${p.line}:${p.column}` : '<unknown>';
}
