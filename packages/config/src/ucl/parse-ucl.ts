import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../errors';
import type { ConfigWarning } from '../errors';
import type { ParseSession } from './parse-session';
import { UclParser } from './parser';
import { prepareText } from './prepare-text';
import type { DuplicateStrategy, UclObject } from './ucl-value';

export interface UclParseOptions {
  /** For positions and the per-file variables CURDIR/FILENAME. */
  filename: string;
  /** Registered variables (CONFDIR, LOCAL_CONFDIR, DBDIR, ...). */
  variables?: Record<string, string>;
  /** Priority of the top chunk (default 0). */
  priority?: number;
  /** Duplicate strategy of the top chunk (default 'append'). */
  duplicate?: DuplicateStrategy;
  /** Keep a leading UTF-8 BOM as libucl does (it becomes part of the first key) instead of stripping it. */
  keepBom?: boolean;
  /** Reads an included file; null means missing. Default: the file system. */
  readFile?: (path: string) => string | null;
  /** Environment for `{= env.NAME =}` templating (RSPAMD_NAME); default process.env. */
  env?: Record<string, string | undefined>;
}

export interface UclParseResult {
  value: UclObject;
  warnings: ConfigWarning[];
  /** Every file read (parseUclFile: the file itself first; then includes in order). */
  files: string[];
}

function readFileOrNull(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new ConfigError('AVF_ERR_CONFIG_INCLUDE', `cannot read ${file}: ${(e as Error).message}`, null, { cause: e });
  }
}

function parseWithFiles(text: string, opts: UclParseOptions, files: string[]): UclParseResult {
  const priority = opts.priority ?? 0;
  if (!Number.isInteger(priority) || priority < 0 || priority > 15) {
    throw new ConfigError('AVF_ERR_CONFIG_SYNTAX', `invalid UCL priority ${priority}: use an integer from 0 to 15`);
  }
  const warnings: ConfigWarning[] = [];
  const env = opts.env ?? process.env;
  const keepBom = opts.keepBom ?? false;
  const value: UclObject = {};
  const session: ParseSession = {
    baseVariables: new Map(Object.entries(opts.variables ?? {})),
    readFile: opts.readFile ?? readFileOrNull,
    env,
    keepBom,
    warnings,
    files,
    includeStack: [path.resolve(opts.filename)],
    root: value,
  };
  const prepared = prepareText(text, opts.filename, { keepBom, env, warnings });
  new UclParser(prepared, opts.filename, session, { priority, strategy: opts.duplicate ?? 'append' }).parseInto(value);
  return { value, warnings, files };
}

/** Parses UCL text. Throws ConfigError (AVF_ERR_CONFIG_SYNTAX / _INCLUDE / _TEMPLATE) with a position. */
export function parseUcl(text: string, opts: UclParseOptions): UclParseResult {
  return parseWithFiles(text, opts, []);
}

/** Reads and parses a UCL file (its includes resolved relative to it). */
export function parseUclFile(file: string, opts: Partial<UclParseOptions> = {}): UclParseResult {
  const filename = path.resolve(file);
  const read = opts.readFile ?? readFileOrNull;
  const text = read(filename);
  if (text === null) {
    throw new ConfigError('AVF_ERR_CONFIG_INCLUDE', `cannot open ${filename}: no such file`, null);
  }
  return parseWithFiles(text, { ...opts, filename }, [filename]);
}
