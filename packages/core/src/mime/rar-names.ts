import { nulTerminatedText } from './text-words';

/** A file named in a RAR archive's headers. */
export interface RarName {
  readonly name: string;
  readonly encrypted: boolean;
}

function readVint(buf: Buffer, pos: number): { value: number; next: number } {
  let value = 0;
  let mult = 1;
  for (let i = 0; i < 10; i++) {
    const b = buf[pos + i];
    if (b === undefined) throw new RangeError('truncated vint');
    value += (b & 0x7f) * mult;
    mult *= 128;
    if ((b & 0x80) === 0) return { value, next: pos + i + 1 };
  }
  throw new RangeError('bad vint');
}

function rar4(buf: Buffer, max: number, out: RarName[]): void {
  let pos = 7;
  while (out.length < max && pos + 7 <= buf.length) {
    const type = buf[pos + 2];
    const flags = buf.readUInt16LE(pos + 3);
    const headSize = buf.readUInt16LE(pos + 5);
    if (headSize < 7) return;
    let addSize = (flags & 0x8000) !== 0 && pos + 11 <= buf.length ? buf.readUInt32LE(pos + 7) : 0;
    if (type === 0x73 && (flags & 0x80) !== 0) {
      out.push({ name: '(encrypted headers)', encrypted: true });
      return;
    }
    if (type === 0x74 && pos + 32 <= buf.length) {
      addSize = buf.readUInt32LE(pos + 7);
      const high = (flags & 0x100) !== 0;
      if (high) addSize += buf.readUInt32LE(pos + 32) * 0x100000000;
      const nameSize = buf.readUInt16LE(pos + 26);
      const nameStart = pos + (high ? 40 : 32);
      const isDir = (flags & 0xe0) === 0xe0;
      if (!isDir) out.push({ name: nulTerminatedText(buf.subarray(nameStart, nameStart + nameSize)), encrypted: (flags & 4) !== 0 });
    }
    if (type === 0x7b) return;
    pos += headSize + addSize;
  }
}

function rar5(buf: Buffer, max: number, out: RarName[]): void {
  let pos = 8;
  while (out.length < max && pos + 7 <= buf.length) {
    const size = readVint(buf, pos + 4);
    const blockEnd = size.next + size.value;
    const type = readVint(buf, size.next);
    const flags = readVint(buf, type.next);
    let p = flags.next;
    if (flags.value & 1) p = readVint(buf, p).next;
    let dataSize = 0;
    if (flags.value & 2) {
      const d = readVint(buf, p);
      dataSize = d.value;
      p = d.next;
    }
    if (type.value === 4) {
      out.push({ name: '(encrypted headers)', encrypted: true });
      return;
    }
    if (type.value === 2) {
      const fileFlags = readVint(buf, p);
      p = readVint(buf, fileFlags.next).next; // unpacked size
      p = readVint(buf, p).next; // attributes
      if (fileFlags.value & 2) p += 4;
      if (fileFlags.value & 4) p += 4;
      p = readVint(buf, p).next; // compression info
      p = readVint(buf, p).next; // host OS
      const nameLen = readVint(buf, p);
      const name = buf.subarray(nameLen.next, Math.min(blockEnd, nameLen.next + nameLen.value)).toString('utf8');
      if ((fileFlags.value & 1) === 0) out.push({ name, encrypted: false });
    }
    if (type.value === 5) return;
    pos = blockEnd + dataSize;
  }
}

/** File names in a RAR 4 or RAR 5 archive (headers only, nothing is unpacked). Never throws. */
export function readRarNames(buf: Buffer, maxEntries = 1000): RarName[] {
  const out: RarName[] = [];
  try {
    if (buf.subarray(0, 7).toString('latin1') === 'Rar!\x1a\x07\x00') rar4(buf, maxEntries, out);
    else if (buf.subarray(0, 8).toString('latin1') === 'Rar!\x1a\x07\x01\x00') rar5(buf, maxEntries, out);
  } catch {
    // truncated or corrupt headers end the listing
  }
  return out;
}
