/**
 * The action-message template (docs/semantics.md §8, rules exact):
 *
 * - a variable is `$` + one or more of `A–Z a–z 0–9 _` (read greedily), or the
 *   same wrapped as `${…}`;
 * - a known variable is replaced by its value; for an unknown one the `$`,
 *   `${` and `}` are removed and the name is left as plain text;
 * - a `$` not followed by a name character, and an unclosed `${NAME`, are left
 *   unchanged (`$$VIRUS` gives `$` + the value).
 */
const NAME_CHAR = /[A-Za-z0-9_]/;

export function renderMessage(template: string, vars: Readonly<Record<string, string>>): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const ch = template[i] as string;
    if (ch !== '$') {
      out += ch;
      i += 1;
      continue;
    }
    const braced = template[i + 1] === '{';
    const start = braced ? i + 2 : i + 1;
    let end = start;
    while (end < template.length && NAME_CHAR.test(template[end] as string)) end += 1;
    const name = template.slice(start, end);
    if (name === '' || (braced && template[end] !== '}')) {
      out += '$';
      i += 1;
      continue;
    }
    out += Object.prototype.hasOwnProperty.call(vars, name) ? (vars[name] as string) : name;
    i = braced ? end + 1 : end;
  }
  return out;
}

/** The variables of an antivirus action message. */
export function messageVars(ruleName: string, texts: readonly string[]): Record<string, string> {
  return { SCANNER: ruleName, VIRUS: texts.join('; ') };
}
