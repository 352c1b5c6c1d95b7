import { clean, fail, virus, type Verdict } from '../../verdict';

/** What the client does after one line that follows `SCAN`. */
export type SavapiStep =
  | { readonly kind: 'done'; readonly verdict: Verdict }
  /** A `310` detection: send the bare `\n` and read on. */
  | { readonly kind: 'ack' }
  /** A non-terminal line: read on. */
  | { readonly kind: 'next' };

const WITH_MARKER = /310.*<<<\s(.*)\s+;.*;.*/;
const WITHOUT_MARKER = /310\s(.*)\s+;.*;.*/;

/** The leading three-digit code of a line, or null. */
export function savapiCode(line: string): number | null {
  const m = /^(\d{3})(\s|$)/.exec(line);
  return m ? Number(m[1]) : null;
}

/** The greeting must carry code 100. */
export function isSavapiGreeting(line: string): boolean {
  return savapiCode(line) === 100;
}

/** The reply to `SET PRODUCT` must contain `100 PRODUCT`. */
export function isSavapiProductAccepted(line: string): boolean {
  return line.includes('100 PRODUCT');
}

/** The name of a `310` line (docs/scanners.md: greedy capture, first regex with `<<<`, then without), or null. */
export function savapiDetectionName(line: string): string | null {
  return WITH_MARKER.exec(line)?.[1] ?? WITHOUT_MARKER.exec(line)?.[1] ?? null;
}

/**
 * The lines after `SCAN` (docs/scanners.md "savapi", D6): the leading code decides.
 * `2xx` ends clean (or with the names already collected), `319` ends the
 * detections, `310` adds a name, `4xx`/`5xx` and unknown non-empty lines end
 * as FAIL("unhandled response: <line>"); other codes are waited past.
 */
export class SavapiScanReply {
  private readonly names: string[] = [];

  feed(rawLine: string): SavapiStep {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.trim() === '') return { kind: 'next' };
    const code = savapiCode(line);
    if (code === null) return done(fail(`unhandled response: ${line}`));
    if (code === 310) {
      const name = savapiDetectionName(line);
      if (name === null) return done(fail(`virus result unparseable: ${line}`));
      if (!this.names.includes(name)) this.names.push(name);
      return { kind: 'ack' };
    }
    if (code === 319) return done(this.names.length > 0 ? virus(this.names) : fail(`unhandled response: ${line}`));
    if (code >= 200 && code < 300) return done(this.names.length > 0 ? virus(this.names) : clean());
    if (code >= 400) return done(fail(`unhandled response: ${line}`));
    return { kind: 'next' };
  }
}

function done(verdict: Verdict): SavapiStep {
  return { kind: 'done', verdict };
}
