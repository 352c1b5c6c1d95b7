/**
 * Numbers as Lua (LuaJIT, Lua 5.1) prints them — C's `printf('%.14g', n)`:
 * 1.0 → `1`, 0 → `0`, 0.5 → `0.5`, 1e15 → `1e+15` (docs/semantics.md §6.3).
 * Rounds exact ties to even as glibc does (JavaScript's own `toPrecision`
 * rounds them up).
 */
const PRECISION = 14;

export function formatLuaNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  const sign = n < 0 || Object.is(n, -0) ? '-' : '';
  if (n === 0) return `${sign}0`;
  // Integers of up to 14 digits (cache weights are 0 or 1) print as their digits: skip the 100-digit expansion.
  if (Number.isInteger(n) && Math.abs(n) < 1e14) return String(n);
  const { digits, exp } = roundDigits(Math.abs(n));
  if (exp < PRECISION && exp >= -4) {
    let fixed: string;
    if (exp >= 0) {
      fixed = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
    } else {
      fixed = `0.${'0'.repeat(-exp - 1)}${digits}`;
    }
    return sign + stripZeros(fixed);
  }
  const mantissa = stripZeros(`${digits[0] as string}.${digits.slice(1)}`);
  const absExp = Math.abs(exp);
  return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${absExp < 10 ? '0' : ''}${absExp}`;
}

/** The first 14 significant digits of `x` (> 0), correctly rounded half-to-even, and the decimal exponent. */
function roundDigits(x: number): { digits: string; exp: number } {
  // 100 significant digits: exact for every double whose expansion can end in a tie at digit 15.
  const [m, e] = x.toExponential(99).split('e') as [string, string];
  const all = m.replace('.', '');
  let exp = Number(e);
  let head = all.slice(0, PRECISION);
  const rest = all.slice(PRECISION);
  const first = rest[0] as string;
  const lastOdd = Number(head[PRECISION - 1]) % 2 === 1;
  const up = first > '5' || (first === '5' && (/[1-9]/.test(rest.slice(1)) || lastOdd));
  if (up) {
    const bumped = (BigInt(head) + 1n).toString();
    if (bumped.length > PRECISION) {
      exp += 1;
      head = bumped.slice(0, PRECISION);
    } else {
      head = bumped;
    }
  }
  return { digits: head, exp };
}

function stripZeros(s: string): string {
  if (!s.includes('.')) return s;
  return s.replace(/0+$/, '').replace(/\.$/, '');
}
