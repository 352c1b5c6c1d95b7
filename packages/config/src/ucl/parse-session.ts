import type { ConfigWarning } from '../errors';
import type { SourcePosition } from '../source-position';
import type { UclLexer } from './lexer';
import type { ChunkContext } from './merge-member';
import type { UclObject } from './ucl-value';

/** State shared by a file and every file it includes. */
export interface ParseSession {
  readonly baseVariables: ReadonlyMap<string, string>;
  readonly readFile: (file: string) => string | null;
  readonly env: Record<string, string | undefined>;
  readonly keepBom: boolean;
  readonly warnings: ConfigWarning[];
  readonly files: string[];
  /** Absolute paths of the files being parsed, outermost first. */
  readonly includeStack: string[];
  /** The outermost file's top object (what `.inherit` looks in); null for macro arguments. */
  readonly root: UclObject | null;
}

/** What macros need from the parser running them (kept as an interface to avoid an import cycle). */
export interface MacroHost {
  readonly lex: UclLexer;
  readonly variables: ReadonlyMap<string, string>;
  readonly session: ParseSession;
  readonly chunk: { priority: number; strategy: ChunkContext['strategy'] };
  expand(s: string): string;
  includeChunk(text: string, file: string, chunk: ChunkContext, target: UclObject): void;
  parseArguments(body: string, open: SourcePosition): UclObject;
}
