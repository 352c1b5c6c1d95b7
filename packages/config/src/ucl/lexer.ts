import { ConfigError } from '../errors';
import type { SourcePosition } from '../source-position';

/** Characters that end an unquoted atom (libucl's UCL_CHARACTER_VALUE_END); EOF also ends one. */
export function isAtomEnd(ch: string | undefined): boolean {
  return ch === undefined || ch === '\n' || ch === '\r' || ch === '#' || ch === ',' || ch === ';' || ch === ']' || ch === '}' || ch === '\0';
}

/** Unquoted atoms that libucl reads as booleans (compared case-insensitively). */
export const UCL_BOOLEANS: Readonly<Record<string, boolean>> = { true: true, yes: true, on: true, false: false, no: false, off: false };

/** Space or tab (libucl's UCL_CHARACTER_WHITESPACE). */
export function isBlank(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t';
}

/** Space, tab, CR or LF (libucl's UCL_CHARACTER_WHITESPACE_UNSAFE). */
export function isSpace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';
}

function isAlnum(ch: string): boolean {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/** First character of a bare key: letter, digit, `_`, `/`, or any non-ASCII character. */
export function isKeyStart(ch: string | undefined): boolean {
  return ch !== undefined && (isAlnum(ch) || ch === '_' || ch === '/' || ch.charCodeAt(0) >= 0x80);
}

/** Later characters of a bare key: also `-` and `.`. */
export function isKeyChar(ch: string | undefined): boolean {
  return isKeyStart(ch) || ch === '-' || ch === '.';
}

/** 1-based line and column of `offset` in `text`. */
export function textPosition(text: string, file: string, offset: number): SourcePosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { file, line, column: offset - lineStart + 1 };
}

/**
 * A cursor over one UCL text: position bookkeeping (1-based line/column),
 * whitespace and comment skipping, and positioned syntax errors.
 */
export class UclLexer {
  pos = 0;
  private line = 1;
  private lineStart = 0;

  constructor(
    readonly text: string,
    readonly file: string,
  ) {}

  get atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  peek(offset = 0): string | undefined {
    const i = this.pos + offset;
    return i < this.text.length ? this.text[i] : undefined;
  }

  /** Moves forward n characters, counting lines. */
  advance(n = 1): void {
    for (let i = 0; i < n && this.pos < this.text.length; i++) {
      if (this.text[this.pos] === '\n') {
        this.line++;
        this.lineStart = this.pos + 1;
      }
      this.pos++;
    }
  }

  /** Jumps to an absolute offset at or after the current one. */
  moveTo(offset: number): void {
    this.advance(offset - this.pos);
  }

  position(): SourcePosition {
    return { file: this.file, line: this.line, column: this.pos - this.lineStart + 1 };
  }

  /** Position of an arbitrary offset (used for errors inside already-scanned text). */
  positionAt(offset: number): SourcePosition {
    return textPosition(this.text, this.file, offset);
  }

  error(message: string, pos: SourcePosition = this.position()): ConfigError {
    return new ConfigError('AVF_ERR_CONFIG_SYNTAX', message, pos);
  }

  isCommentStart(): boolean {
    const ch = this.peek();
    return ch === '#' || (ch === '/' && this.peek(1) === '*');
  }

  /** Skips any run of `#…` and nested `/* … *\/` comments starting here. */
  skipComments(): void {
    for (;;) {
      const ch = this.peek();
      if (ch === '#') {
        while (!this.atEnd && this.peek() !== '\n') this.advance();
        if (!this.atEnd) this.advance();
      } else if (ch === '/' && this.peek(1) === '*') {
        this.skipBlockComment();
      } else {
        return;
      }
    }
  }

  private skipBlockComment(): void {
    const start = this.position();
    let depth = 0;
    let quoted = false;
    this.advance(2);
    depth++;
    while (!this.atEnd) {
      const ch = this.text[this.pos];
      // libucl toggles a "quoted" state on unescaped double quotes inside comments
      if (ch === '"' && this.text[this.pos - 1] !== '\\') quoted = !quoted;
      if (!quoted) {
        if (ch === '*' && this.peek(1) === '/') {
          this.advance(2);
          if (--depth === 0) return;
          continue;
        }
        if (ch === '/' && this.peek(1) === '*') {
          depth++;
          this.advance(2);
          continue;
        }
      }
      this.advance();
    }
    throw this.error('unterminated comment: a "/*" comment is never closed with "*/" (comments nest in UCL)', start);
  }

  /** Skips whitespace (including newlines) and comments. */
  skipSpaceAndComments(): void {
    for (;;) {
      while (isSpace(this.peek())) this.advance();
      if (!this.isCommentStart()) return;
      this.skipComments();
    }
  }

  skipBlanks(): void {
    while (isBlank(this.peek())) this.advance();
  }
}
