import type { ConfigWarning } from '../errors';
import { needsTemplating, renderTemplate } from './render-template';

/**
 * What happens to a file's text before UCL parsing: the UTF-8 BOM is stripped
 * with a warning (unless `keepBom`, which reproduces libucl: the BOM becomes
 * part of the first key), and `{= … =}` templating is rendered.
 */
export function prepareText(
  text: string,
  file: string,
  opts: { keepBom: boolean; env: Record<string, string | undefined>; warnings: ConfigWarning[] },
): string {
  let out = text;
  if (out.startsWith('\uFEFF') && !opts.keepBom) {
    out = out.slice(1);
    opts.warnings.push({
      code: 'AVF_WARN_BOM',
      message: 'the file starts with a UTF-8 byte order mark; it was ignored (Rspamd would make it part of the first key)',
      position: { file, line: 1, column: 1 },
    });
  }
  if (needsTemplating(out)) out = renderTemplate(out, file, opts.env);
  return out;
}
