import { clean, encrypted, fail, macro, virus, type Verdict } from '../../verdict';

export const KASPERSKY_SE_MACRO_TEXT = 'File contains macros';
export const KASPERSKY_SE_ENCRYPTED_TEXT = 'File is encrypted: PASSWORD PROTECTED';

/**
 * Kaspersky Scan Engine (KAV protocol 1) HTTP reply → verdict
 * (docs/scanners.md "kaspersky_se", Reply). Non-200 → `Bad HTTP code: <status>`
 * with weight 1. A 200 body has all trailing whitespace trimmed (D9) and is
 * tested in the documented order.
 */
export function mapKasperskySeReply(status: number, rawBody: string): Verdict {
  if (status !== 200) return fail(`Bad HTTP code: ${status}`, 'error', 1);
  const body = rawBody.replace(/\s+$/, '');
  const unhandled = (): Verdict => fail(`unhandled response:${body}`, 'error');
  if (body === 'CLEAN') return clean();
  if (body === 'CLEAN AND CONTAINS OFFICE MACRO') return macro(KASPERSKY_SE_MACRO_TEXT);
  if (body.startsWith('CLEAN')) return unhandled();
  if (body === 'SERVER_ERROR') return fail('error:SERVER_ERROR', 'error');
  const detect = body.indexOf('DETECT ');
  if (detect >= 0 && body.length > detect + 7) {
    // The macro suffix stays part of the name (D10, compatibility).
    return virus([body.slice(detect + 7)]);
  }
  const open = body.indexOf('NON_SCANNED (');
  if (open >= 0) {
    const from = open + 'NON_SCANNED ('.length;
    const close = body.lastIndexOf(')');
    if (close >= from && body.slice(from, close) === 'PASSWORD PROTECTED') return encrypted(KASPERSKY_SE_ENCRYPTED_TEXT);
  }
  return unhandled();
}
