/**
 * Translate a PCRE pattern body into JavaScript `RegExp` source, or say where
 * and why it cannot be expressed (docs/semantics.md §7.2, D39). Only syntax is
 * changed; what JS cannot mean the same way is rejected, never approximated.
 */
export class PcreTranslationError extends Error {
  constructor(
    message: string,
    /** Offset in the PCRE body being translated (not in its translation). */
    readonly offset: number,
  ) {
    super(message);
    Object.setPrototypeOf(this, PcreTranslationError.prototype);
  }
}

const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alpha: 'A-Za-z',
  digit: '0-9',
  alnum: 'A-Za-z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: '\\s',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  word: '\\w',
  cntrl: '\\x00-\\x1f\\x7f',
  print: '\\x20-\\x7e',
  graph: '\\x21-\\x7e',
};

const H_CLASS = '\\t \\xa0\\u1680\\u180e\\u2000-\\u200a\\u202f\\u205f\\u3000';
const V_CLASS = '\\n\\x0b\\f\\r\\x85\\u2028\\u2029';
const REJECTED_ESCAPES: Readonly<Record<string, string>> = {
  A: '\\A (start of subject); use ^ without the m flag',
  Z: '\\Z (end of subject); use $ without the m flag',
  z: '\\z (end of subject); use $ without the m flag',
  G: '\\G (first matching position)',
  K: '\\K (reset match start)',
  C: '\\C (single code unit)',
  X: '\\X (extended grapheme cluster)',
  p: '\\p{…} (Unicode property)',
  P: '\\P{…} (Unicode property)',
  o: '\\o{…} (octal escape)',
};
const QUANTIFIER_BRACES = /^\{\d+(?:,\d*)?\}/;
const META = /[\\^$.*+?()[\]{}|/]/g;

function fail(what: string, offset: number): never {
  throw new PcreTranslationError(`${what} is not supported by JavaScript regular expressions`, offset);
}

/** `\x{…}`, `\g…`, `\k…` and simple escapes; returns the JS text and the number of characters consumed after the backslash. */
function translateEscape(body: string, i: number, inClass: boolean): [string, number] {
  const c = body[i + 1];
  if (c === undefined) throw new PcreTranslationError('trailing backslash', i);
  if (REJECTED_ESCAPES[c]) fail(REJECTED_ESCAPES[c], i);
  switch (c) {
    case 'h':
      return [inClass ? H_CLASS : `[${H_CLASS}]`, 2];
    case 'H':
      if (inClass) fail('\\H inside a character class', i);
      return [`[^${H_CLASS}]`, 2];
    case 'v':
      return [inClass ? V_CLASS : `[${V_CLASS}]`, 2];
    case 'V':
      if (inClass) fail('\\V inside a character class', i);
      return [`[^${V_CLASS}]`, 2];
    case 'R':
      if (inClass) fail('\\R inside a character class', i);
      return [`(?:\\r\\n|[${V_CLASS}])`, 2];
    case 'N':
      if (inClass) fail('\\N inside a character class', i);
      return ['[^\\n]', 2];
    case 'e':
      return ['\\x1b', 2];
    case 'a':
      return ['\\x07', 2];
    case 'x': {
      if (body[i + 2] !== '{') return ['\\x', 2];
      const m = /^\{([0-9A-Fa-f]{1,6})\}/.exec(body.slice(i + 2));
      if (!m || !m[1]) throw new PcreTranslationError('malformed \\x{…} escape', i);
      const cp = parseInt(m[1], 16);
      if (cp > 0xffff) fail('\\x{…} above U+FFFF', i);
      return [`\\u${cp.toString(16).padStart(4, '0')}`, 2 + m[0].length];
    }
    case 'g': {
      if (inClass) break;
      const m = /^(?:\{(-?\d+|[A-Za-z_]\w*)\}|(\d+))/.exec(body.slice(i + 2));
      const ref = m ? (m[1] ?? m[2] ?? '') : '';
      if (!m || ref.startsWith('-')) fail('\\g back-reference form', i);
      return [/^\d/.test(ref) ? `\\${ref}` : `\\k<${ref}>`, 2 + m[0].length];
    }
    case 'k': {
      if (inClass) break;
      const m = /^(?:\{([A-Za-z_]\w*)\}|'([A-Za-z_]\w*)'|<([A-Za-z_]\w*)>)/.exec(body.slice(i + 2));
      if (!m) fail('\\k back-reference form', i);
      return [`\\k<${m[1] ?? m[2] ?? m[3] ?? ''}>`, 2 + m[0].length];
    }
    default:
      break;
  }
  return [`\\${c}`, 2];
}

/** `(?…` group openers; returns JS text and characters consumed, or a comment to drop. */
function translateGroup(body: string, i: number): [string, number] {
  const rest = body.slice(i);
  if (rest.startsWith('(?#')) {
    const end = body.indexOf(')', i);
    if (end < 0) throw new PcreTranslationError('unterminated (?# comment', i);
    return ['', end - i + 1];
  }
  if (rest.startsWith('(?>')) fail('atomic group (?>…)', i);
  if (rest.startsWith('(?|')) fail('branch reset group (?|…)', i);
  if (rest.startsWith('(?(')) fail('conditional group (?(…)…)', i);
  const named = /^\(\?(?:P<|')([A-Za-z_]\w*)[>']/.exec(rest);
  if (named) return [`(?<${named[1] ?? ''}>`, named[0].length];
  const backref = /^\(\?P=([A-Za-z_]\w*)\)/.exec(rest);
  if (backref) return [`\\k<${backref[1] ?? ''}>`, backref[0].length];
  if (/^\(\?(?:R|[+-]?\d+|&|P>)/.test(rest)) fail('recursion or subroutine call', i);
  if (/^\(\?[imsxnUJ^-]/.test(rest)) fail('inline option group such as (?i); use the /…/i form', i);
  if (/^\(\?(?:[:=!]|<[=!]|<[A-Za-z_])/.test(rest)) {
    const m = /^\(\?(?:[:=!]|<[=!])/.exec(rest);
    return m ? [m[0], m[0].length] : ['(?<', 3];
  }
  fail('group syntax', i);
}

/** Character class from `[` at `i`; returns JS text and characters consumed. */
function translateClass(body: string, i: number): [string, number] {
  let out = '[';
  let j = i + 1;
  if (body[j] === '^') {
    out += '^';
    j++;
  }
  if (body[j] === ']') {
    out += '\\]';
    j++;
  }
  while (j < body.length) {
    const c = body[j] ?? '';
    if (c === ']') return [`${out}]`, j - i + 1];
    if (c === '\\') {
      const [text, used] = translateEscape(body, j, true);
      out += text;
      j += used;
      continue;
    }
    if (c === '[') {
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(body.slice(j));
      if (posix) {
        const cls = POSIX_CLASSES[posix[2] ?? ''];
        if (!cls || posix[1]) fail(`POSIX class ${posix[0]}`, j);
        out += cls;
        j += posix[0].length;
        continue;
      }
      out += '\\[';
      j++;
      continue;
    }
    out += c;
    j++;
  }
  throw new PcreTranslationError('missing terminating ] for character class', i);
}

/** Translate a PCRE body; `extended` applies the x flag (whitespace and # comments outside classes are dropped). */
export function translatePcre(body: string, extended: boolean): string {
  let out = '';
  let i = 0;
  let afterQuantifier = false;
  while (i < body.length) {
    const c = body[i] ?? '';
    if (afterQuantifier && c === '+') fail('possessive quantifier', i);
    afterQuantifier = false;
    if (extended && /\s/.test(c)) {
      i++;
      continue;
    }
    if (extended && c === '#') {
      const nl = body.indexOf('\n', i);
      i = nl < 0 ? body.length : nl + 1;
      continue;
    }
    if (c === '\\' && body[i + 1] === 'Q') {
      const end = body.indexOf('\\E', i + 2);
      const lit = body.slice(i + 2, end < 0 ? body.length : end);
      out += lit.replace(META, '\\$&');
      i = end < 0 ? body.length : end + 2;
      continue;
    }
    if (c === '\\' && body[i + 1] === 'E') {
      i += 2;
      continue;
    }
    let piece: [string, number];
    if (c === '\\') piece = translateEscape(body, i, false);
    else if (c === '[') piece = translateClass(body, i);
    else if (c === '(' && body[i + 1] === '*') fail('backtracking verb (*…)', i);
    else if (c === '(' && body[i + 1] === '?') piece = translateGroup(body, i);
    else if (c === '*' || c === '+' || c === '?') {
      // a `+` right after is possessive: refused at the top of the next round
      piece = body[i + 1] === '?' ? [`${c}?`, 2] : [c, 1];
      afterQuantifier = true;
    } else if (c === '{' && QUANTIFIER_BRACES.test(body.slice(i))) {
      const q = QUANTIFIER_BRACES.exec(body.slice(i))?.[0] ?? '{';
      piece = [q, q.length];
      if (body[i + q.length] === '?') piece = [`${q}?`, q.length + 1];
      else afterQuantifier = true;
    } else piece = [c, 1];
    out += piece[0];
    i += piece[1];
  }
  return out;
}
