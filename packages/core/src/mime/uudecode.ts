/** A `begin <mode> <name>` … `end` block found in text. */
export interface UuBlock {
  readonly filename: string | null;
  readonly content: Buffer;
}

const BEGIN_LINE = /^begin(?:-base64)? +([0-7]{3,4}) +(.*?)\s*$/;

function decodeLine(line: string, out: number[]): boolean {
  if (line.length === 0) return false;
  const count = (line.charCodeAt(0) - 32) & 63;
  if (count === 0) return false;
  const val = (i: number): number => (i < line.length ? (line.charCodeAt(i) - 32) & 63 : 0);
  let produced = 0;
  for (let i = 1; produced < count; i += 4) {
    const a = val(i);
    const b = val(i + 1);
    const c = val(i + 2);
    const d = val(i + 3);
    const bytes = [(a << 2) | (b >> 4), ((b & 15) << 4) | (c >> 2), ((c & 3) << 6) | d];
    for (const byte of bytes) {
      if (produced < count) out.push(byte & 0xff);
      produced++;
    }
    if (i > line.length + 4) break;
  }
  return true;
}

function decodeLines(lines: readonly string[], from: number): { content: Buffer; next: number } {
  const out: number[] = [];
  let i = from;
  for (; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (line.trim() === 'end') return { content: Buffer.from(out), next: i + 1 };
    decodeLine(line, out);
  }
  return { content: Buffer.from(out), next: i };
}

/**
 * Decode a body sent with `Content-Transfer-Encoding: x-uuencode` (or
 * `uuencode`, `x-uue`): the data after the `begin` line up to `end`, or every
 * line when there is no `begin` line. Returns the name of the `begin` line too.
 */
export function decodeUuencodedBody(raw: Buffer): UuBlock {
  const lines = raw.toString('latin1').split('\n');
  const begin = lines.findIndex((l) => BEGIN_LINE.test(l.replace(/\r$/, '')));
  if (begin < 0) return { filename: null, content: decodeLines(lines, 0).content };
  const match = BEGIN_LINE.exec(lines[begin].replace(/\r$/, ''));
  const name = match?.[2] ? Buffer.from(match[2], 'latin1').toString('utf8') : null;
  return { filename: name || null, content: decodeLines(lines, begin + 1).content };
}

/** Every complete `begin NNN name` … `end` block inside a text body (at most `max`). */
export function findUuBlocks(text: Buffer, max = 100): UuBlock[] {
  if (!text.includes('begin ')) return [];
  const lines = text.toString('latin1').split('\n');
  const blocks: UuBlock[] = [];
  for (let i = 0; i < lines.length && blocks.length < max; i++) {
    const match = BEGIN_LINE.exec(lines[i].replace(/\r$/, ''));
    if (!match || !lines[i].startsWith('begin ')) continue;
    const { content, next } = decodeLines(lines, i + 1);
    const ended = next <= lines.length && lines[next - 1]?.replace(/\r$/, '').trim() === 'end';
    if (ended && content.length > 0) {
      blocks.push({ filename: Buffer.from(match[2], 'latin1').toString('utf8') || null, content });
    }
    i = next - 1;
  }
  return blocks;
}
