/** Escapes that JSON defines; any other `\c` in a double-quoted string silently becomes `c`. */
const JSON_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', '\\': '\\', '"': '"', '/': '/' };

export interface UnescapeResult {
  readonly value: string;
  /** Offsets (into the raw text) of backslashes whose escape is not a JSON one (e.g. `\.`, `\d`). */
  readonly nonJsonEscapes: readonly number[];
}

/**
 * libucl's ucl_unescape_json_string, used for double-quoted strings, quoted keys
 * and unquoted values: JSON escapes are decoded, `\uXXXX` becomes the code unit,
 * and the backslash of any other escape is dropped.
 */
export function unescapeJsonString(raw: string): UnescapeResult {
  let out = '';
  const odd: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    if (i + 1 >= raw.length) {
      out += '\\';
      break;
    }
    const e = raw[++i] as string;
    const simple = JSON_ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
    } else if (e === 'u') {
      const hex = raw.slice(i + 1, i + 5);
      if (/^[0-9a-fA-F]{4}$/.test(hex)) {
        out += String.fromCharCode(parseInt(hex, 16));
        i += 4;
      } else {
        out += 'u';
        odd.push(i - 1);
      }
    } else {
      out += e;
      odd.push(i - 1);
    }
  }
  return { value: out, nonJsonEscapes: odd };
}

/**
 * libucl's ucl_unescape_squoted_string: only `\'` becomes `'` and a
 * backslash-newline (or backslash-CRLF) is removed; every other backslash stays.
 */
export function unescapeSingleQuoted(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    if (i + 1 >= raw.length) {
      out += '\\';
      break;
    }
    const e = raw[++i];
    if (e === "'") out += "'";
    else if (e === '\n') continue;
    else if (e === '\r') {
      if (raw[i + 1] === '\n') i++;
    } else out += '\\' + e;
  }
  return out;
}
