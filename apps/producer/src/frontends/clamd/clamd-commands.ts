/**
 * clamd's command set as avfleet answers it. Names, which commands take a path, which may
 * be sent without the `z`/`n` prefix and which are valid inside IDSESSION follow the
 * `commands[]` table and `execute_or_dispatch_command` of ClamAV's clamd/session.c.
 */

/** How a command was framed: `zCMD\0`, `nCMD\n`, or the bare legacy form (one line or packet). */
export type CommandForm = 'z' | 'n' | 'legacy';

export type ClamdCommand =
  | { readonly kind: 'ping' }
  | { readonly kind: 'version' }
  | { readonly kind: 'versioncommands' }
  | { readonly kind: 'instream' }
  | { readonly kind: 'idsession' }
  | { readonly kind: 'end' }
  /** SCAN, CONTSCAN, MULTISCAN, ALLMATCHSCAN: refused, clients get no filesystem access. */
  | { readonly kind: 'path-scan'; readonly name: string; readonly path: string }
  /** Known to clamd but switched off here (SHUTDOWN, RELOAD, STATS, …): `COMMAND UNAVAILABLE`. */
  | { readonly kind: 'unavailable'; readonly name: string }
  | { readonly kind: 'unknown' };

interface CommandSpec {
  readonly kind: ClamdCommand['kind'];
  /** clamd accepts it without the z/n prefix (`support_old`). */
  readonly legacy: boolean;
  /** clamd accepts it inside IDSESSION. */
  readonly inSession: boolean;
}

const SPECS: Readonly<Record<string, CommandSpec>> = {
  PING: { kind: 'ping', legacy: true, inSession: true },
  VERSION: { kind: 'version', legacy: true, inSession: true },
  VERSIONCOMMANDS: { kind: 'versioncommands', legacy: false, inSession: true },
  INSTREAM: { kind: 'instream', legacy: false, inSession: true },
  IDSESSION: { kind: 'idsession', legacy: false, inSession: false },
  END: { kind: 'end', legacy: false, inSession: true },
  SCAN: { kind: 'path-scan', legacy: true, inSession: true },
  CONTSCAN: { kind: 'path-scan', legacy: true, inSession: false },
  MULTISCAN: { kind: 'path-scan', legacy: true, inSession: false },
  ALLMATCHSCAN: { kind: 'path-scan', legacy: false, inSession: false },
  QUIT: { kind: 'unavailable', legacy: true, inSession: false },
  SHUTDOWN: { kind: 'unavailable', legacy: true, inSession: false },
  RELOAD: { kind: 'unavailable', legacy: true, inSession: false },
  SELFCHECK: { kind: 'unavailable', legacy: true, inSession: false },
  STATS: { kind: 'unavailable', legacy: false, inSession: true },
  FILDES: { kind: 'unavailable', legacy: true, inSession: true },
  DETSTATS: { kind: 'unavailable', legacy: true, inSession: false },
  DETSTATSCLEAR: { kind: 'unavailable', legacy: true, inSession: false },
};

/** What VERSIONCOMMANDS lists: the commands that do something here. */
export const SUPPORTED_COMMANDS: readonly string[] = ['PING', 'VERSION', 'VERSIONCOMMANDS', 'INSTREAM', 'IDSESSION', 'END'];

/** The parsed command, and whether it is allowed inside IDSESSION. */
export interface ParsedCommand {
  readonly command: ClamdCommand;
  readonly inSession: boolean;
}

/**
 * One command's text (prefix and terminator removed). As in clamd's `parse_command`: a path
 * command needs `NAME <path>`, any other command no trailing text, and a command not
 * supported in the legacy form is unknown when sent without a prefix.
 */
export function parseCommand(text: string, form: CommandForm): ParsedCommand {
  const space = text.indexOf(' ');
  const name = space < 0 ? text : text.slice(0, space);
  const spec = Object.prototype.hasOwnProperty.call(SPECS, name) ? SPECS[name] : undefined;
  const unknown: ParsedCommand = { command: { kind: 'unknown' }, inSession: true };
  if (!spec || (form === 'legacy' && !spec.legacy)) return unknown;
  if (spec.kind === 'path-scan') {
    if (space < 0 || space === text.length - 1) return unknown;
    return { command: { kind: 'path-scan', name, path: text.slice(space + 1) }, inSession: spec.inSession };
  }
  if (space >= 0) return unknown;
  if (spec.kind === 'unavailable') return { command: { kind: 'unavailable', name }, inSession: spec.inSession };
  return { command: { kind: spec.kind } as ClamdCommand, inSession: spec.inSession };
}
