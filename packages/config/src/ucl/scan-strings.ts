import type { UclLexer } from './lexer';
import { isAtomEnd, isBlank } from './lexer';

const DQ_ESCAPE_CHARS = 'nrtbf\\"/u';

/**
 * Scans a double-quoted string whose opening quote is under the cursor and
 * returns its raw (still escaped) content; the cursor ends after the closing quote.
 */
export function scanDoubleQuoted(lex: UclLexer): { raw: string; rawStart: number } {
  const open = lex.position();
  lex.advance();
  const rawStart = lex.pos;
  while (!lex.atEnd) {
    const ch = lex.peek() as string;
    if (ch.charCodeAt(0) < 0x1f) {
      if (ch === '\n' || ch === '\r') {
        throw lex.error(
          'unexpected newline: unterminated double-quoted string (a "…" string must end on its line; use \'…\' or a <<EOD heredoc for multi-line text)',
        );
      }
      throw lex.error(`unexpected control character 0x${ch.charCodeAt(0).toString(16).padStart(2, '0')} in a double-quoted string; write it as an escape (e.g. \\t)`);
    }
    if (ch === '\\') {
      lex.advance();
      const e = lex.peek();
      if (e === undefined) break;
      if (e === 'u') {
        lex.advance();
        for (let i = 0; i < 4; i++) {
          if (!/^[0-9a-fA-F]$/.test(lex.peek() ?? '')) throw lex.error('invalid utf escape: \\u must be followed by 4 hex digits');
          lex.advance();
        }
      } else if (DQ_ESCAPE_CHARS.includes(e)) {
        lex.advance();
      }
      continue;
    }
    if (ch === '"') {
      const raw = lex.text.slice(rawStart, lex.pos);
      lex.advance();
      return { raw, rawStart };
    }
    lex.advance();
  }
  throw lex.error('unterminated double-quoted string: no closing quote before the end of the file', open);
}

/** Scans a single-quoted string (may span lines); returns the raw content. */
export function scanSingleQuoted(lex: UclLexer): string {
  const open = lex.position();
  lex.advance();
  const start = lex.pos;
  while (!lex.atEnd) {
    const ch = lex.peek();
    if (ch === '\\') {
      lex.advance(2);
      continue;
    }
    if (ch === "'") {
      const raw = lex.text.slice(start, lex.pos);
      lex.advance();
      return raw;
    }
    lex.advance();
  }
  throw lex.error("unterminated single-quoted string: no closing ' before the end of the file", open);
}

/**
 * If a heredoc (`<<TAG` + newline) starts under the cursor, scans it and
 * returns its body (without the final newline); otherwise returns null and
 * leaves the cursor alone. The terminator is a line holding TAG alone,
 * optionally followed by `;` or `,`; the first body line never terminates.
 */
export function scanHeredoc(lex: UclLexer): string | null {
  const text = lex.text;
  const m = /^<<([A-Z]+)(\r?\n)/.exec(text.slice(lex.pos, lex.pos + 200));
  if (!m) return null;
  const open = lex.position();
  const tag = m[1] as string;
  const bodyStart = lex.pos + m[0].length;
  let lineStart = text.indexOf('\n', bodyStart);
  while (lineStart >= 0) {
    const candidate = lineStart + 1;
    const after = text[candidate + tag.length];
    if (text.startsWith(tag, candidate) && (after === '\n' || after === '\r' || after === ';' || after === ',')) {
      const body = text.slice(bodyStart, lineStart);
      lex.moveTo(candidate + tag.length);
      return body;
    }
    lineStart = text.indexOf('\n', candidate);
  }
  throw lex.error(`unterminated heredoc: no line consisting of "${tag}" (followed by a newline, ";" or ",") closes <<${tag}`, open);
}

/**
 * Scans an unquoted value: up to `;`, `,`, newline, `#`, a `/*` comment or a
 * `}`/`]` that closes an enclosing brace; balanced `{…}`/`[…]` pairs and
 * backslash-escaped characters are kept. Returns the raw text with trailing
 * blanks trimmed; the cursor stops at the terminator.
 */
export function scanUnquoted(lex: UclLexer): string {
  const text = lex.text;
  const start = lex.pos;
  let p = start;
  let curlyOpen = 0;
  let curlyClose = 0;
  let squareOpen = 0;
  let squareClose = 0;
  while (p < text.length) {
    const ch = text[p];
    if (ch === '{') curlyOpen++;
    else if (ch === '}') {
      curlyClose++;
      if (curlyClose <= curlyOpen) {
        p++;
        continue;
      }
    } else if (ch === '[') squareOpen++;
    else if (ch === ']') {
      squareClose++;
      if (squareClose <= squareOpen) {
        p++;
        continue;
      }
    } else if (ch === '\\') {
      p += 2;
      continue;
    }
    if (isAtomEnd(ch) || (ch === '/' && text[p + 1] === '*')) break;
    p++;
  }
  p = Math.min(p, text.length);
  lex.moveTo(p);
  let end = p;
  while (end > start && isBlank(text[end - 1])) end--;
  return text.slice(start, end);
}
