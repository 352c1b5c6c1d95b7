/**
 * ICAP/HTTP header blocks (docs/scanners.md "icap", Step 3, header parser): split
 * on CR/LF; a line starting `ICAP` is the ICAP status line, one starting
 * `HTTP` the HTTP status line; any other line with `:` is a header matched by
 * `/([A-Za-z0-9+-]*?):\s?(.+)/` (first match), name lower-cased, value the
 * rest after one optional space; the last of repeated headers wins.
 */
export interface IcapBlock {
  readonly icapStatus: string | null;
  readonly httpStatus: string | null;
  readonly headers: ReadonlyMap<string, string>;
  /** First non-empty line (for messages when there is no status line). */
  readonly firstLine: string;
}

const HEADER_RE = /([A-Za-z0-9+-]*?):\s?(.+)/;

export function parseIcapBlock(text: string): IcapBlock {
  let icapStatus: string | null = null;
  let httpStatus: string | null = null;
  const headers = new Map<string, string>();
  const lines = text.split(/[\r\n]+/).filter((l) => l.length > 0);
  for (const line of lines) {
    if (line.startsWith('ICAP')) icapStatus = line;
    else if (line.startsWith('HTTP')) httpStatus = line;
    else if (line.includes(':')) {
      const m = HEADER_RE.exec(line);
      if (m) headers.set(m[1]!.toLowerCase(), m[2]!);
    }
  }
  return { icapStatus, httpStatus, headers, firstLine: lines[0] ?? '' };
}

/** `req-hdr=0, res-hdr=95, res-body=251` → entity → offset (names lower-cased). */
export function parseEncapsulated(value: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of value.split(',')) {
    const m = /^\s*([A-Za-z-]+)\s*=\s*(\d+)\s*$/.exec(part);
    if (m) out.set(m[1]!.toLowerCase(), Number(m[2]));
  }
  return out;
}

export const ICAP_2XX = /ICAP\/1\.. 2\d\d/;
export const ICAP_4XX_5XX = /ICAP\/1\.. [45]\d\d/;
export const HTTP_2XX_4XX = /HTTP\/[12]\.. [234]\d\d/;
