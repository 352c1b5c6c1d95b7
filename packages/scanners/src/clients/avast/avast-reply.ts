import { clean, fail, virus, type Verdict } from '../../verdict';

const CLEAN = /\t\[\+\]/;
const INFECTED = /\t\[L\]\d\.\d\t\d\s(.*)/;
const ERROR = /\t\[E\]\d+\.0\tError\s\d+\s(.*)/;

/** Avast escapes a space as `\ ` and a backslash as `\\` in names. */
export function unescapeAvastName(s: string): string {
  return s.replace(/\\([ \\])/g, '$1');
}

/** The greeting must start with `220` and be longer than 3 bytes. */
export function isAvastGreeting(line: string): boolean {
  return line.length > 3 && line.startsWith('220');
}

/**
 * Collects the lines after `SCAN <path>` up to `200` and decides once
 * (docs/scanners.md "avast", D12): any `[L]` → VIRUS(all names), else any `[E]` →
 * FAIL("error:<text>") of the first, else CLEAN. A short (≤ 4 bytes) or
 * unknown line ends the scan as FAIL("unhandled response: <line>") (D13);
 * empty lines are ignored. `feed` returns the verdict when done, else null.
 */
export class AvastScanReply {
  private readonly names: string[] = [];
  private readonly errors: string[] = [];

  feed(line: string): Verdict | null {
    if (line === '') return null;
    if (line.length <= 4) return fail(`unhandled response: ${line}`);
    if (line.startsWith('210')) return null;
    if (line.startsWith('200')) return this.decide();
    if (CLEAN.test(line)) return null;
    const infected = INFECTED.exec(line);
    if (infected) {
      const name = unescapeAvastName(infected[1]!);
      if (!this.names.includes(name)) this.names.push(name);
      return null;
    }
    const error = ERROR.exec(line);
    if (error) {
      this.errors.push(`error:${error[1]!}`);
      return null;
    }
    return fail(`unhandled response: ${line}`);
  }

  private decide(): Verdict {
    if (this.names.length > 0) return virus(this.names);
    if (this.errors.length > 0) return fail(this.errors[0]!);
    return clean();
  }
}
