import { clean, fail, virus, type Verdict } from '../../verdict';
import { parseClamdStyleReply } from '../shared/clamd-style-reply';

/**
 * Maps the clamd-style reply to `nSCAN <path>` (docs/scanners.md "kaspersky"):
 * exactly `stream: OK` or `<path>: OK` is clean, `…: <name> FOUND` a virus,
 * anything else FAIL("unhandled response: <reply>") (D7 adds the reply).
 */
export function mapKasperskyReply(reply: string, filePath: string): Verdict {
  const r = parseClamdStyleReply(reply, ['stream', filePath]);
  if (r.kind === 'ok') return clean();
  if (r.kind === 'found') return virus([r.name]);
  return fail(`unhandled response: ${reply}`);
}

/** The one request line: `nSCAN <path>\n`. */
export function kasperskyRequestLine(filePath: string): string {
  return `nSCAN ${filePath}\n`;
}
