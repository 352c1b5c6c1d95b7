import * as path from 'node:path';
import { ConfigError } from '../errors';
import type { SourcePosition } from '../source-position';
import { expandVariables } from './expand-variables';
import { UCL_BOOLEANS, UclLexer, isBlank, isKeyChar, isKeyStart } from './lexer';
import type { ChunkContext } from './merge-member';
import { checkDuplicateError, commitMember, mergeTarget, noteMergedMember } from './merge-member';
import { parseUclNumber } from './parse-number';
import { scanDoubleQuoted, scanHeredoc, scanSingleQuoted, scanUnquoted } from './scan-strings';
import type { UclObject, UclValue } from './ucl-value';
import { isUclObject, setObjectPosition } from './ucl-value';
import { unescapeJsonString, unescapeSingleQuoted } from './unescape';
import { runMacro } from './run-macro';
import type { ParseSession } from './parse-session';
import { prepareText } from './prepare-text';

interface ParsedValue {
  readonly value: UclValue;
  readonly container: boolean;
}

const MERGE_KIND_MISMATCH =
  'cannot merge an object with an array: with duplicate=merge a repeated key must keep the same kind ({…} or […]); rename one of them or include with another duplicate strategy';

/** Parses one chunk (a file or an included file) into an object, libucl style. */
export class UclParser {
  readonly lex: UclLexer;
  readonly variables: Map<string, string>;
  readonly chunk: { priority: number; strategy: ChunkContext['strategy'] };
  private currentKey = '';

  constructor(
    text: string,
    readonly file: string,
    readonly session: ParseSession,
    chunk: ChunkContext,
  ) {
    this.lex = new UclLexer(text, file);
    this.chunk = { ...chunk };
    this.variables = new Map(session.baseVariables);
    const abs = path.resolve(file);
    this.variables.set('FILENAME', abs);
    this.variables.set('CURDIR', path.dirname(abs));
  }

  /** Parses the whole chunk into `target` (the file's top object, or the object an include sits in). */
  parseInto(target: UclObject): void {
    const lex = this.lex;
    lex.skipSpaceAndComments();
    const start = lex.position();
    setObjectPosition(target, start);
    if (lex.peek() === '[') {
      lex.advance();
      const arr: UclValue[] = [];
      this.parseArrayBody(arr, start);
      if (arr.length > 0) throw lex.error('the file is a top-level array; a configuration file must be an object (key = value members)', start);
      return;
    }
    if (lex.peek() === '{') {
      lex.advance();
      this.parseMembers(target, '}', start);
      return; // libucl ignores everything after the top object
    }
    this.parseMembers(target, null, start);
  }

  /** Members up to the closing `}` (consumed) or, for the implicit top object, to the end. */
  parseMembers(obj: UclObject, closer: '}' | null, open: SourcePosition): void {
    const lex = this.lex;
    for (;;) {
      lex.skipSpaceAndComments();
      if (lex.atEnd) {
        if (closer) throw lex.error(`unbalanced braces: the "{" opened at line ${open.line}, column ${open.column} is never closed`, open);
        return;
      }
      const ch = lex.peek();
      if (ch === '}') {
        if (!closer) throw lex.error('unbalanced braces: "}" closes an object that was never opened with "{"');
        lex.advance();
        return;
      }
      if (ch === '.') {
        runMacro(this, obj);
        continue;
      }
      const container = this.parseMember(obj);
      this.afterValue(closer, container);
    }
  }

  /** Separators after a value; stops before the closer, at EOF, or at the next member. */
  private afterValue(closer: '}' | ']' | null, afterContainer: boolean): void {
    const lex = this.lex;
    let gotSep = afterContainer;
    for (;;) {
      const ch = lex.peek();
      if (ch === undefined) return;
      if (isBlank(ch)) lex.advance();
      else if (lex.isCommentStart()) {
        lex.skipComments();
        gotSep = true;
      } else if (ch === ',' || ch === ';' || ch === '\n' || ch === '\r') {
        gotSep = true;
        lex.advance();
      } else if (ch === '}' || ch === ']') {
        if (ch === closer) return;
        if (closer === null && ch === '}') throw lex.error('unbalanced braces: "}" closes an object that was never opened with "{"');
        throw lex.error(`unexpected "${ch}": it does not close the enclosing ${closer === ']' ? 'array' : 'object'}`);
      } else {
        if (!gotSep) throw lex.error('delimiter is missing: separate members with ";", "," or a newline (or quote the whole value)');
        return;
      }
    }
  }

  /** One `key [names…] value` member; returns whether its value was an object/array. */
  parseMember(obj: UclObject): boolean {
    const keyPos = this.lex.position();
    const { key, nested } = this.parseKey();
    if (key.startsWith('//')) {
      this.session.warnings.push({
        code: 'AVF_WARN_SLASH_COMMENT',
        message: `"${key}" is read as a key, not a comment: UCL comments are "#" and "/* … */"`,
        position: keyPos,
      });
    }
    checkDuplicateError(obj, key, this.chunk, keyPos);
    const target = mergeTarget(obj, key, this.chunk);
    const lex = this.lex;
    if (nested) {
      // key "name" { … }  ==  key { name { … } }
      if (Array.isArray(target)) throw lex.error(MERGE_KIND_MISMATCH);
      const inner: UclObject = target ?? {};
      setObjectPosition(inner, lex.position());
      this.parseMember(inner);
      if (target) noteMergedMember(obj, key, keyPos);
      else commitMember(obj, key, inner, this.chunk, keyPos);
      return true;
    }
    lex.skipSpaceAndComments();
    const ch = lex.peek();
    if (target && (ch === '{' || ch === '[')) {
      const open = lex.position();
      if ((ch === '{') !== isUclObject(target)) throw lex.error(MERGE_KIND_MISMATCH);
      lex.advance();
      if (Array.isArray(target)) this.parseArrayBody(target, open);
      else this.parseMembers(target, '}', open);
      noteMergedMember(obj, key, keyPos);
      return true;
    }
    this.currentKey = key;
    const parsed = this.parseValue();
    commitMember(obj, key, parsed.value, this.chunk, keyPos);
    return parsed.container;
  }

  private parseKey(): { key: string; nested: boolean } {
    const lex = this.lex;
    const ch = lex.peek();
    let key: string;
    if (isKeyStart(ch)) {
      const start = lex.pos;
      while (isKeyChar(lex.peek())) lex.advance();
      const next = lex.peek();
      if (next === undefined) throw lex.error('unfinished key: the file ends after a key without a value');
      if (!isBlank(next) && next !== '=' && next !== ':') {
        const what = next === '\n' || next === '\r' ? 'a newline (the value must be on the same line as its key)' : `"${next}"`;
        throw lex.error(`invalid character in a key: ${what}`);
      }
      key = lex.text.slice(start, lex.pos);
    } else if (ch === '"') {
      const pos = lex.position();
      key = unescapeJsonString(scanDoubleQuoted(lex).raw).value;
      if (key === '') throw lex.error('empty keys are not allowed', pos);
    } else {
      const hint =
        ch === "'" ? ' (single-quoted keys are not allowed; use double quotes)' : ch === '-' ? ' (a key cannot start with "-")' : '';
      throw lex.error(`key must begin with a letter, digit, "_", "/" or a double quote, not "${ch}"${hint}`);
    }
    let gotEq = false;
    let gotColon = false;
    for (;;) {
      const c = lex.peek();
      if (isBlank(c)) lex.advance();
      else if (c === '=' || c === ':') {
        if (gotEq || gotColon) throw lex.error(`unexpected '${c}' character after the key "${key}"`);
        if (c === '=') gotEq = true;
        else gotColon = true;
        lex.advance();
      } else if (lex.isCommentStart()) lex.skipComments();
      else break;
    }
    if (lex.atEnd) throw lex.error(`unfinished key: "${key}" has no value before the end of the file`);
    let nested = false;
    if (!gotEq && !gotColon) {
      const text = lex.text;
      let t = lex.pos;
      while (isBlank(text[t])) t++;
      if (text[t] !== '{' && text[t] !== '[') {
        for (; t < text.length; t++) {
          const c = text[t];
          if (c === ',' || c === ';' || c === '\n' || c === '\r') break;
          if (c === '{' || c === '[') {
            nested = true;
            break;
          }
        }
      }
    }
    return { key, nested };
  }

  /** Any value: string (3 quotings + heredoc), number, boolean, null, object, array. */
  parseValue(): ParsedValue {
    const lex = this.lex;
    lex.skipSpaceAndComments();
    const ch = lex.peek();
    const pos = lex.position();
    if (ch === undefined) throw lex.error('unexpected end of file: a value was expected');
    if (ch === '{') {
      lex.advance();
      const obj: UclObject = {};
      setObjectPosition(obj, pos);
      this.parseMembers(obj, '}', pos);
      return { value: obj, container: true };
    }
    if (ch === '[') {
      lex.advance();
      const arr: UclValue[] = [];
      this.parseArrayBody(arr, pos);
      return { value: arr, container: true };
    }
    if (ch === '"') {
      const { raw, rawStart } = scanDoubleQuoted(lex);
      const un = unescapeJsonString(raw);
      if (un.nonJsonEscapes.length > 0) this.warnDqEscapes(raw, rawStart, un.nonJsonEscapes);
      return { value: this.expand(un.value), container: false };
    }
    if (ch === "'") return { value: unescapeSingleQuoted(scanSingleQuoted(lex)), container: false };
    if (ch === '<') {
      const body = scanHeredoc(lex);
      if (body !== null) return { value: this.expand(body), container: false };
    }
    return { value: this.parseAtom(), container: false };
  }

  private parseArrayBody(arr: UclValue[], open: SourcePosition): void {
    const lex = this.lex;
    for (;;) {
      lex.skipSpaceAndComments();
      if (lex.atEnd) throw lex.error(`unbalanced brackets: the "[" opened at line ${open.line}, column ${open.column} is never closed`, open);
      if (lex.peek() === ']') {
        lex.advance();
        return;
      }
      const parsed = this.parseValue();
      arr.push(parsed.value);
      this.afterValue(']', parsed.container);
    }
  }

  private parseAtom(): UclValue {
    const lex = this.lex;
    const ch = lex.peek() as string;
    if ((ch >= '0' && ch <= '9') || ch === '-') {
      const n = parseUclNumber(lex.text, lex.pos);
      if (n.ok) {
        lex.moveTo(n.end);
        return n.value;
      }
      if (n.outOfRange) {
        throw lex.error('numeric value out of range: integers must fit in 64 bits; quote long digit strings such as API keys or ids');
      }
    }
    const raw = scanUnquoted(lex);
    if (raw === '') throw lex.error('string value must not be empty: a value is missing here');
    if (raw === 'null') return null;
    if (raw === 'nan') return NaN;
    if (raw === 'inf') return Infinity;
    const b = UCL_BOOLEANS[raw.toLowerCase()];
    if (b !== undefined) return b;
    const value = raw.includes('\\') ? unescapeJsonString(raw).value : raw;
    return this.expand(value);
  }

  expand(s: string): string {
    return expandVariables(s, this.variables);
  }

  private warnDqEscapes(raw: string, rawStart: number, offsets: readonly number[]): void {
    const escapes = [...new Set(offsets.map((o) => raw.slice(o, o + 2)))].join(' ');
    this.session.warnings.push({
      code: 'AVF_WARN_DQ_REGEX_ESCAPE',
      message:
        `the double-quoted value of "${this.currentKey}" contains ${escapes}: in double quotes the backslash is dropped ` +
        `(so "\\." matches any character); use single quotes for regular expressions or double the backslash`,
      position: this.lex.positionAt(rawStart + (offsets[0] ?? 0)),
    });
  }

  /** Parses an included file's text into `target` with the include's priority and strategy. */
  includeChunk(text: string, file: string, chunk: ChunkContext, target: UclObject): void {
    const s = this.session;
    const prepared = prepareText(text, file, { keepBom: s.keepBom, env: s.env, warnings: s.warnings });
    s.includeStack.push(file);
    try {
      new UclParser(prepared, file, s, chunk).parseInto(target);
    } finally {
      s.includeStack.pop();
    }
  }

  /** Parses macro arguments `(a=1, b=x)` as a small UCL object (no variables, like libucl). */
  parseArguments(body: string, open: SourcePosition): UclObject {
    const session: ParseSession = { ...this.session, baseVariables: new Map(), warnings: [], files: [], includeStack: [], root: null };
    const out: UclObject = {};
    try {
      new UclParser(body, this.file, session, { priority: 0, strategy: 'append' }).parseInto(out);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new ConfigError('AVF_ERR_CONFIG_SYNTAX', `invalid macro arguments: ${msg}`, open);
    }
    return out;
  }
}
