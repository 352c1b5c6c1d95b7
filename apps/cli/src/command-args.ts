/** What every subcommand receives: parsed flags, positionals and the process's I/O (injected so tests capture it). */

export interface CliIo {
  /** Write text as given (callers add the newline). */
  stdout(text: string): void;
  stderr(text: string): void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** stdout is a terminal (progress bars, colours). */
  readonly isTTY: boolean;
}

/** Flags by name without `--`: strings for valued flags, booleans for switches; undefined = not given. */
export type CliFlags = Readonly<Record<string, string | boolean | undefined>>;

export interface CommandArgs {
  readonly flags: CliFlags;
  readonly positionals: readonly string[];
  readonly io: CliIo;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    isTTY: process.stdout.isTTY === true,
  };
}
