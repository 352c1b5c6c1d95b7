import { formatWarning, parseUclFile, rulesToJson, toJson } from '@avfleet/config';
import type { CommandArgs } from './command-args';
import { loadCommandConfig, singlePath } from './config-check-command';
import { reportConfigFailure } from './report-config-failure';

/**
 * `avfleet config dump [--raw] PATH` (docs/interfaces.md §1): the effective rules
 * as JSON with every default filled; `--raw`: the parsed UCL tree as plain
 * JSON (BOM kept, nothing cleaned up). Errors as in `config check`, exit 1.
 */
export async function runConfigDump(args: CommandArgs): Promise<number> {
  const path = singlePath(args, 'avfleet config dump');
  if (args.flags.raw === true) {
    let parsed;
    try {
      parsed = parseUclFile(path, { keepBom: true });
    } catch (err) {
      return reportConfigFailure(err, path, args.io);
    }
    for (const w of parsed.warnings) args.io.stderr(`${formatWarning(w)}\n`);
    args.io.stdout(`${JSON.stringify(toJson(parsed.value), null, 2)}\n`);
    return 0;
  }
  const config = loadCommandConfig(args, path);
  if ('exit' in config) return config.exit;
  args.io.stdout(`${JSON.stringify(rulesToJson(config), null, 2)}\n`);
  return 0;
}
