/**
 * libucl variable expansion: `${NAME}` must match a registered name exactly,
 * `$NAME` matches the longest registered name that prefixes the text after `$`
 * (libucl takes the first match in registration order; with Rspamd's names the
 * results are the same). Unknown variables stay verbatim. `$$` becomes `$` only
 * when some variable in the same string was expanded.
 */
export function expandVariables(text: string, vars: ReadonlyMap<string, string>): string {
  if (!text.includes('$') || vars.size === 0) return text;
  const names = [...vars.keys()].sort((a, b) => b.length - a.length);
  let out = '';
  let found = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch !== '$') {
      out += ch;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      const close = text.indexOf('}', i + 2);
      const name = close >= 0 ? text.slice(i + 2, close) : undefined;
      const value = name !== undefined ? vars.get(name) : undefined;
      if (value !== undefined) {
        out += value;
        found = true;
        i = close + 1;
      } else {
        out += '${';
        i += 2;
      }
      continue;
    }
    const name = names.find((n) => text.startsWith(n, i + 1));
    if (name !== undefined) {
      out += vars.get(name);
      found = true;
      i += 1 + name.length;
    } else {
      out += '$';
      i++;
    }
  }
  return found ? out : text;
}
