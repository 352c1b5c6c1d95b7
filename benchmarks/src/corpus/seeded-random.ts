import { createCipheriv, createHash } from 'node:crypto';

/**
 * A deterministic random source for the bench corpus: sfc32 for decisions, AES-128-CTR
 * keystream (keyed from the same generator) for bulk incompressible bytes. The same seed
 * gives the same corpus on every machine and Node version.
 */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string) {
    const h = createHash('sha256').update(`avfleet-bench:${seed}`).digest();
    this.a = h.readUInt32LE(0);
    this.b = h.readUInt32LE(4);
    this.c = h.readUInt32LE(8);
    this.d = h.readUInt32LE(12);
    for (let i = 0; i < 16; i++) this.nextUint32();
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Integer in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('AVF_ERR_BENCH_PICK: cannot pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Picks by weight: `[[value, weight], …]`. */
  weighted<T>(choices: ReadonlyArray<readonly [T, number]>): T {
    const total = choices.reduce((s, [, w]) => s + w, 0);
    let x = this.next() * total;
    for (const [value, w] of choices) {
      x -= w;
      if (x < 0) return value;
    }
    return choices[choices.length - 1]![0];
  }

  /** Log-uniform integer in [lo, hi]: as many 10–20 KB files as 1–2 MB files. */
  logUniform(lo: number, hi: number): number {
    return Math.round(Math.exp(Math.log(lo) + this.next() * (Math.log(hi) - Math.log(lo))));
  }

  /** `n` incompressible bytes (AES-128-CTR keystream under a key drawn from this generator). */
  bytes(n: number): Buffer {
    const key = Buffer.alloc(16);
    const iv = Buffer.alloc(16);
    for (let i = 0; i < 4; i++) {
      key.writeUInt32LE(this.nextUint32(), i * 4);
      iv.writeUInt32LE(this.nextUint32(), i * 4);
    }
    const cipher = createCipheriv('aes-128-ctr', key, iv);
    return Buffer.concat([cipher.update(Buffer.alloc(n)), cipher.final()]);
  }

  private textPool: string | undefined;

  /**
   * Roughly `approxBytes` of English-looking text (compressible like real documents): a
   * slice at a random offset of a 1 MB pool of generated sentences, built once per generator.
   */
  text(approxBytes: number): string {
    const pool = (this.textPool ??= this.sentences(1 << 20));
    const n = Math.min(approxBytes, pool.length);
    const start = this.int(0, pool.length - 1);
    const first = pool.slice(start, start + n);
    return first.length >= n ? first : first + pool.slice(0, n - first.length);
  }

  private sentences(approxBytes: number): string {
    const out: string[] = [];
    let len = 0;
    while (len < approxBytes) {
      const words = this.int(6, 18);
      const sentence: string[] = [];
      for (let i = 0; i < words; i++) sentence.push(this.pick(WORDS));
      const s = `${sentence.join(' ')}. `;
      out.push(s.charAt(0).toUpperCase() + s.slice(1));
      len += s.length;
      if (this.chance(0.12)) {
        out.push('\n\n');
        len += 2;
      }
    }
    return out.join('');
  }
}

const WORDS = (
  'the of and to in a is that for it as was with be by on not he this are or his from at which but have an they ' +
  'you were her all she there would their we him been has when who will more no if out so said what up its about ' +
  'into than them can only other new some could time these two may then do first any my now such like our over ' +
  'invoice order shipment delivery contract quarter revenue budget meeting schedule report draft review approval ' +
  'customer supplier account payment balance forecast project milestone attachment document summary agenda minutes'
).split(' ');
