import type { CommandDef } from './command-table';
import { commandName } from './command-table';

const pad = (s: string, width: number): string => (s.length >= width ? `${s}  ` : s.padEnd(width));

/** `avfleet --help`: every command with its one-line summary. */
export function generalHelp(commands: readonly CommandDef[]): string {
  const rows = commands.map((c) => `  ${pad(c.words.join(' '), 16)}${c.summary}`);
  return [
    'Usage: avfleet COMMAND [flags]',
    '',
    "Rspamd's antivirus module as a BullMQ worker fleet.",
    '',
    'Commands:',
    ...rows,
    `  ${pad('help COMMAND', 16)}show a command's flags and settings`,
    '',
    'Flags:',
    `  ${pad('-h, --help', 16)}show this help`,
    `  ${pad('--version', 16)}print the version`,
    '',
    "Run 'avfleet COMMAND --help' for a command's flags and environment variables.",
    '',
  ].join('\n');
}

/** `avfleet config` without a subcommand: the commands under that word. */
export function groupHelp(word: string, commands: readonly CommandDef[]): string {
  const rows = commands.filter((c) => c.words[0] === word).map((c) => `  ${pad(commandName(c) + ' ' + c.synopsis, 48)}${c.summary}`);
  return ['Usage:', ...rows, ''].join('\n');
}

/** `avfleet COMMAND --help`: usage, description, flags (with their variables and defaults), then env-only settings. */
export function commandHelp(cmd: CommandDef): string {
  const flagRows: string[] = [];
  for (const f of cmd.ownFlags) {
    flagRows.push(`  ${pad(`--${f.name}${f.valueName ? ` ${f.valueName}` : ''}`, 30)}${f.description}`);
  }
  for (const s of cmd.settings) {
    if (s.flag === null) continue;
    flagRows.push(`  ${pad(`--${s.flag}${s.valueName ? ` ${s.valueName}` : ''}`, 30)}${s.meaning}`);
    flagRows.push(`  ${pad('', 30)}[${s.env}; default: ${s.default}]`);
  }
  flagRows.push(`  ${pad('-h, --help', 30)}show this help`);
  const envRows = cmd.settings
    .filter((s) => s.flag === null)
    .flatMap((s) => [`  ${pad(s.env, 30)}${s.meaning}`, `  ${pad('', 30)}[default: ${s.default}]`]);
  const lines = [`Usage: ${commandName(cmd)} ${cmd.synopsis}`, '', cmd.details, '', 'Flags:', ...flagRows];
  if (envRows.length > 0) {
    lines.push('', 'Environment (or, without AVFLEET_ and in lower case, keys of the AVFLEET_SETTINGS file):', ...envRows);
  }
  lines.push('', 'Precedence: flag, then environment, then the settings file, then the default.', '');
  return lines.join('\n');
}
