import { ConfigError } from '../errors';
import { textPosition } from './lexer';

/** True when Rspamd's Jinja-like templater would have something to do in this text. */
export function needsTemplating(text: string): boolean {
  return text.includes('{=') || text.includes('{%');
}

const EXPRESSION = /^\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|\s*default\(\s*(?:'([^']*)'|"([^"]*)")\s*\)\s*)?$/;

/**
 * The subset of Rspamd's templating that configuration files use:
 * `{= env.NAME =}` and `{= env.NAME|default('x') =}`, where env.NAME is the
 * environment variable RSPAMD_NAME (an unset one renders as the default, or
 * empty like Jinja's undefined). Anything else (`{% … %}` statements, other
 * expressions) is refused with AVF_ERR_CONFIG_TEMPLATE rather than parsed as UCL.
 */
export function renderTemplate(text: string, file: string, env: Record<string, string | undefined>): string {
  const stmt = text.indexOf('{%');
  if (stmt >= 0) {
    throw new ConfigError(
      'AVF_ERR_CONFIG_TEMPLATE',
      'templating statements ({% … %}) are not supported; only {= env.NAME =} and {= env.NAME|default(\'x\') =} are. Render the file first or remove the statement',
      textPosition(text, file, stmt),
    );
  }
  let out = '';
  let i = 0;
  for (;;) {
    const open = text.indexOf('{=', i);
    if (open < 0) break;
    const close = text.indexOf('=}', open + 2);
    if (close < 0) {
      throw new ConfigError('AVF_ERR_CONFIG_TEMPLATE', 'unterminated template expression: "{=" without a closing "=}"', textPosition(text, file, open));
    }
    const m = EXPRESSION.exec(text.slice(open + 2, close));
    if (!m) {
      throw new ConfigError(
        'AVF_ERR_CONFIG_TEMPLATE',
        `unsupported template expression "${text.slice(open, close + 2)}"; only {= env.NAME =} and {= env.NAME|default('x') =} are supported`,
        textPosition(text, file, open),
      );
    }
    const name = m[1] as string;
    const fallback = m[2] ?? m[3];
    const value = env[`RSPAMD_${name}`];
    out += text.slice(i, open) + (value ?? fallback ?? '');
    i = close + 2;
  }
  return out + text.slice(i);
}
