import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliIo } from './command-args';
import { processIo } from './command-args';
import { COMMANDS, commandFlags, commandName } from './command-table';
import type { CommandDef } from './command-table';
import { commandHelp, generalHelp, groupHelp } from './help-text';
import { parseArgs } from './parse-args';
import { UsageError } from './usage-error';

/** The version in apps/cli/package.json (one level above both src/ and dist/). */
function cliVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The command whose words begin argv (`config check …`), or null. */
function findCommand(argv: readonly string[]): CommandDef | null {
  return COMMANDS.find((c) => c.words.every((w, i) => argv[i] === w)) ?? null;
}

const GROUPS = new Set(COMMANDS.filter((c) => c.words.length > 1).map((c) => c.words[0]));

function helpFor(words: readonly string[]): string | null {
  if (words.length === 0) return generalHelp(COMMANDS);
  const cmd = findCommand(words);
  if (cmd && cmd.words.length === words.length) return commandHelp(cmd);
  if (words.length === 1 && GROUPS.has(words[0])) return groupHelp(words[0], COMMANDS);
  return null;
}

function unknownCommand(argv: readonly string[]): UsageError {
  const words = GROUPS.has(argv[0]) ? argv.slice(0, 2) : argv.slice(0, 1);
  return new UsageError(`unknown command '${words.join(' ')}'; run 'avfleet --help' for the list`);
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const first = argv[0];
  if (first === undefined) {
    io.stderr(generalHelp(COMMANDS));
    return 2;
  }
  if (first === '--help' || first === '-h') {
    io.stdout(generalHelp(COMMANDS));
    return 0;
  }
  if (first === '--version' || first === '-V' || first === 'version') {
    io.stdout(`avfleet ${cliVersion()}\n`);
    return 0;
  }
  if (first === 'help') {
    const text = helpFor(argv.slice(1));
    if (text === null) throw unknownCommand(argv.slice(1));
    io.stdout(text);
    return 0;
  }
  const cmd = findCommand(argv);
  if (!cmd) {
    if (GROUPS.has(first) && (argv.length === 1 || argv[1] === '--help' || argv[1] === '-h')) {
      const asked = argv.length > 1;
      (asked ? io.stdout : io.stderr)(groupHelp(first, COMMANDS));
      return asked ? 0 : 2;
    }
    throw unknownCommand(argv);
  }
  const parsed = parseArgs(argv.slice(cmd.words.length), commandFlags(cmd), commandName(cmd));
  if (parsed.help) {
    io.stdout(commandHelp(cmd));
    return 0;
  }
  return cmd.run({ flags: parsed.flags, positionals: parsed.positionals, io });
}

/**
 * Entry point of the `avfleet` bin (bin/avfleet.js): runs one command and
 * resolves to its exit status. Usage errors print a hint and give 2.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`avfleet: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
