import { clean, fail, virus, type Verdict } from '../../verdict';

const CLEAN = /^0 <clean>/;
/** Result codes 1 (infected), 2 (suspicious), 3 (both): `<kind: name>`. */
const DETECTED = /^[1-3] <[A-Za-z0-9\s]*?: (.*?)>/;

/**
 * Maps one fpscand reply line (docs/scanners.md "fprot", mapping table). Error codes
 * 4–255 and garbage become FAIL("unhandled response: <line>") where Rspamd only
 * logs them (D4).
 */
export function mapFprotReply(line: string): Verdict {
  if (CLEAN.test(line)) return clean();
  const name = DETECTED.exec(line)?.[1];
  if (name !== undefined) return virus([name]);
  return fail(`unhandled response: ${line}`);
}

/** `SCAN STREAM <scan-id> SIZE <length>\n` — the id loses whitespace so it cannot break the line. */
export function fprotRequestLine(scanId: string, size: number): string {
  return `SCAN STREAM ${scanId.replace(/\s+/g, '_')} SIZE ${size}\n`;
}
