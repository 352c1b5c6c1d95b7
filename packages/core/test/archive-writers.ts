import { buildZip } from '../../../benchmarks/src/corpus/zip-writer';

/** Archive writers for tests: zip (benchmarks/src/corpus/zip-writer.ts) and tar. */

export interface ZipFixtureEntry {
  readonly name: string;
  readonly data: Buffer | string;
  readonly deflate?: boolean;
  /** Sets the encryption flag (the data stays as given). */
  readonly encrypted?: boolean;
}

/** A zip of the given entries (stored unless `deflate`), written by the bench corpus's zip writer. */
export function zip(entries: readonly ZipFixtureEntry[]): Buffer {
  return buildZip(entries.map((e) => ({ name: e.name, data: Buffer.from(e.data), deflate: e.deflate === true, level: 9, encrypted: e.encrypted })));
}

/** A ustar archive of Latin-1 text files, with its two closing zero blocks. */
export function tar(files: Record<string, string>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, text] of Object.entries(files)) {
    const h = Buffer.alloc(512);
    h.write(name, 0, 'latin1');
    h.write('0000644\0', 100, 'latin1');
    h.write(`${text.length.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
    h.write('0', 156, 'latin1');
    h.write('ustar\u000000', 257, 'latin1');
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    const body = Buffer.alloc(Math.ceil(text.length / 512) * 512);
    body.write(text, 0, 'latin1');
    blocks.push(h, body);
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
