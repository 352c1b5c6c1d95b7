import { UsageError } from './usage-error';

/** A flag a command accepts. `valueName` null = a switch (`--json`, `--no-json`). */
export interface FlagSpec {
  readonly name: string;
  readonly valueName: string | null;
  readonly description: string;
}

export interface ParsedArgs {
  flags: Record<string, string | boolean | undefined>;
  positionals: string[];
  /** `-h` or `--help` was given. */
  help: boolean;
}

/**
 * A small parser: `--name value`, `--name=value`, switches `--name` /
 * `--no-name` / `--name=false`, `-h`/`--help`, and `--` to end the flags.
 * Flags and positionals may be mixed; a repeated flag keeps the last value.
 * `command` only serves the error messages (`avfleet config check`).
 */
export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[], command: string): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const out: ParsedArgs = { flags: {}, positionals: [], help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') {
      out.help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      out.positionals.push(arg);
      continue;
    }
    if (!arg.startsWith('--')) throw unknownFlag(arg, specs, command);
    const eq = arg.indexOf('=');
    let name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    let spec = byName.get(name);
    let negated = false;
    if (!spec && name.startsWith('no-') && byName.get(name.slice(3))?.valueName === null) {
      name = name.slice(3);
      spec = byName.get(name);
      negated = true;
    }
    if (!spec) throw unknownFlag(`--${name}`, specs, command);
    if (spec.valueName === null) {
      if (negated && inline !== undefined) throw new UsageError(`--no-${name} takes no value`);
      out.flags[name] = negated ? false : inline === undefined ? true : parseSwitch(name, inline);
      continue;
    }
    if (inline !== undefined) {
      out.flags[name] = inline;
      continue;
    }
    const next = argv[i + 1];
    if (next === undefined || (next.startsWith('--') && next.length > 2)) {
      throw new UsageError(`--${name} needs a value (${spec.valueName}), e.g. ${command} --${name} ${spec.valueName}`);
    }
    out.flags[name] = next;
    i++;
  }
  return out;
}

function parseSwitch(name: string, value: string): boolean {
  const v = value.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new UsageError(`--${name} is a switch: give it alone, or as --${name}=true / --${name}=false (got '${value}')`);
}

function unknownFlag(flag: string, specs: readonly FlagSpec[], command: string): UsageError {
  const bare = flag.replace(/^-+/, '');
  const near = specs.find((s) => (bare.length >= 3 && (s.name.startsWith(bare) || bare.startsWith(s.name))) || closeEnough(bare, s.name));
  const hint = near ? ` (did you mean --${near.name}?)` : '';
  return new UsageError(`unknown flag ${flag} for '${command}'${hint}; see '${command} --help'`);
}

/** One edit apart (a typo). */
function closeEnough(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1 || a.length < 3) return false;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return a.slice(i + 1) === b.slice(i + 1) || a.slice(i) === b.slice(i + 1) || a.slice(i + 1) === b.slice(i);
}
