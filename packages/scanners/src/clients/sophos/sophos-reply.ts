import { clean, encrypted, fail, virus, type Verdict } from '../../verdict';

export const SOPHOS_ENCRYPTED_TEXT = 'SAVDI: Message is encrypted (FAIL 0212)';
export const SOPHOS_OVERSIZED_TEXT = 'SAVDI: Message oversized (REJ 4)';
export const SOPHOS_PROTOCOL_ERROR_TEXT = 'SAVDI: Protocol error (REJ 1)';

/** Lines that carry no decision: greeting, acceptances, per-file results, informational lines. */
const IGNORED = [/^OK SSSP\//, /^ACC(\s|$)/, /^OK \d{4}(\s|$)/, /^(EVENT|TYPE|FILE)(\s|$)/, /^FAIL (?!0212)\d{4}(\s|$)/];

/**
 * Reads SAVDI's side of an SSSP/1.0 exchange line by line (docs/scanners.md
 * "sophos", "Do this", D5): collects every `VIRUS <name> <location>` and
 * finishes on `DONE`, `FAIL 0212` or `REJ`. Feed lines without their `\n`
 * (a trailing `\r` is tolerated); `feed` returns the verdict once the reply
 * is complete, null while more lines are needed.
 *
 * A per-file `FAIL nnnn` other than 0212 is waited past (its `DONE FAIL nnnn`
 * decides); any other unknown line ends the exchange as
 * FAIL("unhandled response: <line>").
 */
export class SophosReplyParser {
  private readonly names: string[] = [];

  feed(rawLine: string): Verdict | null {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.trim() === '') return null;
    if (line.startsWith('VIRUS ')) {
      const name = line.split(' ')[1];
      if (name && !this.names.includes(name)) this.names.push(name);
      return null;
    }
    if (/^DONE OK(\s|$)/.test(line)) return this.names.length > 0 ? virus(this.names) : clean();
    if (/^(DONE )?FAIL 0212(\s|$)/.test(line)) return encrypted(SOPHOS_ENCRYPTED_TEXT);
    if (/^REJ 4(\s|$)/.test(line)) return fail(SOPHOS_OVERSIZED_TEXT, 'limits');
    if (/^REJ 1(\s|$)/.test(line)) return fail(SOPHOS_PROTOCOL_ERROR_TEXT);
    if (IGNORED.some((re) => re.test(line))) return null;
    return fail(`unhandled response: ${line}`);
  }
}

/** Everything the client writes, at once: `SSSP/1.0\n`, `SCANDATA <n>\n`, the body, `BYE\n`. */
export function sophosRequestHead(size: number): string {
  return `SSSP/1.0\nSCANDATA ${size}\n`;
}
export const SOPHOS_REQUEST_TAIL = 'BYE\n';
