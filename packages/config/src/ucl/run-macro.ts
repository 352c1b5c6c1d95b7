import * as path from 'node:path';
import { ConfigError } from '../errors';
import type { SourcePosition } from '../source-position';
import { expandGlob, readIncludeParams, resolveIncludePath } from './include-macro';
import type { IncludeParams } from './include-macro';
import { isAtomEnd, isSpace } from './lexer';
import { commitMember } from './merge-member';
import type { MacroHost } from './parse-session';
import { scanDoubleQuoted } from './scan-strings';
import type { UclObject, UclValue } from './ucl-value';
import {
  addKeyPosition,
  cloneUclValue,
  isUclObject,
  keyPositions,
  keyPriority,
  setInheritedKey,
  setKeyPriority,
  setMember,
  setObjectPosition,
} from './ucl-value';

/** Reads `.name[(args)] value` at the cursor (on the `.`) and runs the macro against `obj`. */
export function runMacro(parser: MacroHost, obj: UclObject): void {
  const lex = parser.lex;
  const pos = lex.position();
  lex.advance();
  const nameStart = lex.pos;
  while (!lex.atEnd && !isSpace(lex.peek()) && lex.peek() !== '(') lex.advance();
  const name = lex.text.slice(nameStart, lex.pos);
  if (name === '') throw lex.error('macro name is missing after "."', pos);
  lex.skipSpaceAndComments();
  let args: UclObject | null = null;
  if (lex.peek() === '(') args = parseMacroArgs(parser);
  lex.skipSpaceAndComments();
  const value = parser.expand(readMacroValue(parser));
  while (!lex.atEnd && (isSpace(lex.peek()) || lex.peek() === ';')) lex.advance();

  switch (name) {
    case 'include':
    case 'try_include':
      return includeFiles(parser, obj, value, readIncludeParams(args, name === 'try_include', pos), pos);
    case 'priority':
      return setPriority(parser, args, value, pos);
    case 'inherit':
      return inherit(parser, obj, value, args, pos);
    case 'include_map':
      throw new ConfigError('AVF_ERR_CONFIG_INCLUDE', '.include_map is an Rspamd map macro that avfleet does not support; antivirus configuration does not need it — remove it', pos);
    case 'includes':
      throw new ConfigError('AVF_ERR_CONFIG_INCLUDE', '.includes (signed include) is not supported; use .include without signature checking', pos);
    default:
      throw new ConfigError('AVF_ERR_CONFIG_SYNTAX', `unknown macro ".${name}"; supported: .include, .try_include, .priority, .inherit`, pos);
  }
}

function parseMacroArgs(parser: MacroHost): UclObject {
  const lex = parser.lex;
  const open = lex.position();
  let depth = 0;
  const start = lex.pos + 1;
  for (;;) {
    const ch = lex.peek();
    if (ch === undefined) throw lex.error('unterminated macro arguments: "(" is never closed', open);
    if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) break;
    lex.advance();
  }
  const body = lex.text.slice(start, lex.pos);
  lex.advance();
  return parser.parseArguments(body, open);
}

function readMacroValue(parser: MacroHost): string {
  const lex = parser.lex;
  const ch = lex.peek();
  if (ch === '"') return scanDoubleQuoted(lex).raw;
  if (ch === '{') {
    lex.advance();
    while (isSpace(lex.peek())) lex.advance();
    const start = lex.pos;
    while (!lex.atEnd && lex.peek() !== '}') lex.advance();
    const raw = lex.text.slice(start, lex.pos);
    lex.advance();
    return raw;
  }
  const start = lex.pos;
  while (!isAtomEnd(lex.peek())) lex.advance();
  return lex.text.slice(start, lex.pos).trimEnd();
}

function includeFiles(parser: MacroHost, obj: UclObject, includePath: string, params: IncludeParams, pos: SourcePosition): void {
  const curdir = parser.variables.get('CURDIR') ?? process.cwd();
  const resolved = resolveIncludePath(includePath, curdir);
  const files = params.glob ? expandGlob(resolved) : [resolved];
  if (params.glob && files.length === 0 && !params.try) {
    throw new ConfigError('AVF_ERR_CONFIG_INCLUDE', `no file matches the include pattern "${resolved}"; use try=true if that is expected`, pos);
  }
  for (const file of files) {
    if (parser.session.includeStack.includes(file)) {
      throw new ConfigError('AVF_ERR_CONFIG_INCLUDE', `the file ${file} includes itself (directly or through other includes); remove the recursive .include`, pos);
    }
    const text = parser.session.readFile(file);
    if (text === null) {
      if (params.try) continue;
      throw new ConfigError(
        'AVF_ERR_CONFIG_INCLUDE',
        `cannot open included file ${file}: no such file; create it or use .try_include / .include(try=true) if it is optional`,
        pos,
      );
    }
    parser.session.files.push(file);
    const target = params.prefix ? prefixTarget(obj, params.key ?? path.basename(file), params, pos) : obj;
    parser.includeChunk(text, file, { priority: params.priority, strategy: params.duplicate }, target);
  }
}

function prefixTarget(obj: UclObject, key: string, params: IncludeParams, pos: SourcePosition): UclObject {
  const existing = obj[key];
  const nest: UclObject = {};
  setObjectPosition(nest, pos);
  if (existing === undefined) {
    setMember(obj, key, params.target === 'array' ? [nest] : nest);
    setKeyPriority(obj, key, params.priority);
    addKeyPosition(obj, key, pos);
    return nest;
  }
  if (Array.isArray(existing)) {
    existing.push(nest);
    return nest;
  }
  if (isUclObject(existing)) return existing;
  throw new ConfigError('AVF_ERR_CONFIG_INCLUDE', `cannot include under the key "${key}": it already holds a ${typeof existing} value; choose another key=… or rename the existing one`, pos);
}

function setPriority(parser: MacroHost, args: UclObject | null, value: string, pos: SourcePosition): void {
  const raw: UclValue | undefined = args?.priority ?? (value === '' ? undefined : Number(value));
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0 || raw > 15) {
    throw new ConfigError('AVF_ERR_CONFIG_SYNTAX', `invalid .priority value "${value}": use an integer from 0 to 15`, pos);
  }
  parser.chunk.priority = raw;
}

function inherit(parser: MacroHost, obj: UclObject, name: string, args: UclObject | null, pos: SourcePosition): void {
  const root = parser.session.root;
  const parent = root ? root[name] : undefined;
  if (!isUclObject(parent)) {
    throw new ConfigError('AVF_ERR_CONFIG_SYNTAX', `.inherit: no top-level object "${name}" to inherit from (it must be defined earlier, at the top level of the file)`, pos);
  }
  const replace = args?.replace === true;
  for (const [k, v] of Object.entries(parent)) {
    const exists = Object.prototype.hasOwnProperty.call(obj, k);
    if (exists && !replace) continue;
    if (exists) {
      // libucl's ucl_object_insert_key appends to an existing key: an implicit array, old value first
      commitMember(obj, k, cloneUclValue(v), { priority: keyPriority(obj, k), strategy: 'append' }, pos);
      continue;
    }
    setMember(obj, k, cloneUclValue(v));
    setKeyPriority(obj, k, parser.chunk.priority);
    for (const p of keyPositions(parent, k)) addKeyPosition(obj, k, p);
    setInheritedKey(obj, k, !replace);
  }
}
