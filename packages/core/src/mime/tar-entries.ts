import { nulTerminatedText } from './text-words';

/** One file of a tar archive. */
export interface TarEntry {
  readonly name: string;
  readonly size: number;
  /** Offset of the file's data in the archive. */
  readonly dataOffset: number;
}

/** Octal, or GNU base-256 when the high bit of the first byte is set. */
function tarNumber(buf: Buffer, start: number, len: number): number {
  if ((buf[start] & 0x80) !== 0) {
    let value = 0;
    for (let i = start + 1; i < start + len; i++) value = value * 256 + buf[i];
    return value;
  }
  const text = buf.subarray(start, start + len).toString('latin1').replace(/[\0 ]+/g, ' ').trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function checksumOk(buf: Buffer, pos: number): boolean {
  const stored = tarNumber(buf, pos + 148, 8);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : buf[pos + i];
  return Number.isFinite(stored) && sum === stored;
}

function paxPath(data: Buffer): string | null {
  const match = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'));
  return match ? match[1] : null;
}

/**
 * Files of a tar archive (ustar, GNU long names, PAX paths), at most
 * `maxEntries`. Directories, links and metadata entries are left out.
 * Stops at the first block that is not a valid header. Never throws.
 */
export function readTarEntries(buf: Buffer, maxEntries = 1000): TarEntry[] {
  const entries: TarEntry[] = [];
  let pos = 0;
  let longName: string | null = null;
  try {
    while (entries.length < maxEntries && pos + 512 <= buf.length) {
      if (buf[pos] === 0 && buf.subarray(pos, pos + 512).every((b) => b === 0)) break;
      if (!checksumOk(buf, pos)) break;
      const size = tarNumber(buf, pos + 124, 12);
      if (!Number.isFinite(size) || size < 0) break;
      const type = String.fromCharCode(buf[pos + 156] || 0x30);
      const dataOffset = pos + 512;
      const data = buf.subarray(dataOffset, Math.min(buf.length, dataOffset + size));
      if (type === 'L') {
        longName = nulTerminatedText(data);
      } else if (type === 'x') {
        longName = paxPath(data) ?? longName;
      } else if (type !== 'g' && type !== 'K') {
        let name = nulTerminatedText(buf.subarray(pos, pos + 100));
        if (buf.subarray(pos + 257, pos + 262).toString('latin1') === 'ustar') {
          const prefix = nulTerminatedText(buf.subarray(pos + 345, pos + 500));
          if (prefix) name = `${prefix}/${name}`;
        }
        if (longName !== null) name = longName;
        longName = null;
        if ((type === '0' || type === '7' || type === '\0') && !name.endsWith('/')) entries.push({ name, size, dataOffset });
      }
      pos = dataOffset + Math.ceil(size / 512) * 512;
    }
  } catch {
    // a truncated or corrupt header ends the listing
  }
  return entries;
}
