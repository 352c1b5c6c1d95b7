import { isAtomEnd, isBlank } from './lexer';

export type UclNumberKind = 'int' | 'float' | 'time';

export type UclNumberResult =
  | { readonly ok: true; readonly value: number; readonly kind: UclNumberKind; readonly end: number }
  | { readonly ok: false; readonly outOfRange: boolean };

const NOT_A_NUMBER: UclNumberResult = { ok: false, outOfRange: false };
const OUT_OF_RANGE: UclNumberResult = { ok: false, outOfRange: true };
const INT64_MAX = (1n << 63n) - 1n;
const MIN_NORMAL = 2.2250738585072014e-308;

const isDigit = (ch: string | undefined): boolean => ch !== undefined && ch >= '0' && ch <= '9';
const isXDigit = (ch: string | undefined): boolean => ch !== undefined && /^[0-9a-fA-F]$/.test(ch);

function multiplier(ch: string, bytes: boolean): number {
  switch (ch.toLowerCase()) {
    case 'k':
      return bytes ? 1024 : 1000;
    case 'm':
      return bytes ? 1024 * 1024 : 1000 * 1000;
    case 'g':
      return bytes ? 1024 * 1024 * 1024 : 1000 * 1000 * 1000;
    default:
      return 1;
  }
}

const TIME_FACTOR: Record<string, number> = { h: 3600, d: 86400, w: 604800, y: 31536000 };

/**
 * libucl's ucl_maybe_parse_number: decides whether the unquoted atom at `start`
 * is a number (with at most one suffix), returning its value and where it ends.
 * Hex numbers are integers: time suffixes leave them unscaled, like libucl.
 */
export function parseUclNumber(text: string, start: number): UclNumberResult {
  const end = text.length;
  let p = start;
  let c = start;
  let isNeg = false;
  let allowDouble = true;
  let gotDot = false;
  let gotExp = false;
  let needDouble = false;
  let isHex = false;
  let validStart = false;
  if (text[p] === '-') {
    isNeg = true;
    p++;
    c++;
  }
  while (p < end) {
    const ch = text[p];
    if (isHex && isXDigit(ch)) p++;
    else if (isDigit(ch)) {
      validStart = true;
      p++;
    } else if (!isHex && (ch === 'x' || ch === 'X')) {
      isHex = true;
      allowDouble = false;
      c = p + 1;
    } else if (allowDouble) {
      if (p === c) return NOT_A_NUMBER;
      if (ch === '.') {
        if (gotDot) return NOT_A_NUMBER;
        gotDot = needDouble = true;
        p++;
      } else if (ch === 'e' || ch === 'E') {
        if (gotExp) return NOT_A_NUMBER;
        gotExp = needDouble = true;
        p++;
        if (p >= end) return NOT_A_NUMBER;
        if (!isDigit(text[p]) && text[p] !== '+' && text[p] !== '-') return NOT_A_NUMBER;
        p++;
      } else break;
    } else break;
  }
  if (!validStart) return NOT_A_NUMBER;

  let dv = 0;
  let lv = 0n;
  let endptr: number;
  const rest = text.slice(c);
  if (needDouble) {
    const m = /^[0-9]*(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?/.exec(rest);
    const lexeme = m ? m[0] : '';
    if (lexeme === '' || lexeme === '.') return NOT_A_NUMBER;
    dv = Number(lexeme.endsWith('.') ? lexeme.slice(0, -1) : lexeme);
    const mantissaNonZero = /[1-9]/.test(lexeme.split(/[eE]/)[0] ?? '');
    if (!Number.isFinite(dv) || (mantissaNonZero && Math.abs(dv) < MIN_NORMAL)) return OUT_OF_RANGE;
    endptr = c + lexeme.length;
  } else {
    const m = (isHex ? /^[0-9a-fA-F]*/ : /^[0-9]*/).exec(rest);
    const digits = m ? m[0] : '';
    lv = digits === '' ? 0n : BigInt((isHex ? '0x' : '') + digits);
    if (lv > INT64_MAX) return OUT_OF_RANGE;
    endptr = c + digits.length;
  }

  let isTime = false;
  p = endptr;
  const done = (): UclNumberResult => {
    if (allowDouble && (needDouble || isTime)) {
      return { ok: true, value: isNeg ? -dv : dv, kind: isTime ? 'time' : 'float', end: p };
    }
    const n = Number(lv);
    return { ok: true, value: isNeg ? -n : n, kind: 'int', end: p };
  };
  const toDouble = (): void => {
    if (!needDouble) {
      needDouble = true;
      dv = Number(lv);
    }
  };
  if (isAtomEnd(text[p])) return done();
  if (p === start) return NOT_A_NUMBER;

  const ch = text[p] ?? '';
  const next = text[p + 1];
  switch (ch) {
    case 'm':
    case 'M':
    case 'g':
    case 'G':
    case 'k':
    case 'K':
      if (next === 's' || next === 'S') {
        if (!isAtomEnd(text[p + 2])) return NOT_A_NUMBER;
        toDouble();
        isTime = true;
        if (ch === 'm' || ch === 'M') dv /= 1000;
        else dv *= multiplier(ch, false);
        p += 2;
        return done();
      }
      if (next === 'b' || next === 'B') {
        if (!isAtomEnd(text[p + 2])) return NOT_A_NUMBER;
        if (needDouble) {
          needDouble = false;
          lv = BigInt(Math.trunc(dv));
        }
        lv *= BigInt(multiplier(ch, true));
        p += 2;
        return done();
      }
      if (isAtomEnd(next)) {
        if (needDouble) dv *= multiplier(ch, false);
        else lv *= BigInt(multiplier(ch, false));
        p += 1;
        return done();
      }
      if (text.slice(p, p + 3).toLowerCase() === 'min' && isAtomEnd(text[p + 3])) {
        toDouble();
        isTime = true;
        dv *= 60;
        p += 3;
        return done();
      }
      return NOT_A_NUMBER;
    case 's':
    case 'S':
      if (!isAtomEnd(next)) return NOT_A_NUMBER;
      toDouble();
      isTime = true;
      p++;
      return done();
    case 'h':
    case 'H':
    case 'd':
    case 'D':
    case 'w':
    case 'W':
    case 'y':
    case 'Y':
      if (!isAtomEnd(next)) return NOT_A_NUMBER;
      toDouble();
      isTime = true;
      dv *= TIME_FACTOR[ch.toLowerCase()] ?? 1;
      p++;
      return done();
    case ' ':
    case '\t':
      while (isBlank(text[p])) p++;
      if (isAtomEnd(text[p])) return done();
      return NOT_A_NUMBER;
    default:
      return NOT_A_NUMBER;
  }
}
