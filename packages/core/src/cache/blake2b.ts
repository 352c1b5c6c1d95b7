import { CodedError } from '@avfleet/scanners';

/**
 * Keyed BLAKE2b (RFC 7693) in pure TypeScript, for Rspamd-compatible cache keys
 * (docs/semantics.md §6.2). Node's built-in `blake2b512` cannot take a key.
 *
 * 64-bit words are held as (low, high) pairs of 32-bit unsigned integers.
 */

const IV32 = new Uint32Array([
  0xf3bcc908, 0x6a09e667, 0x84caa73b, 0xbb67ae85, 0xfe94f82b, 0x3c6ef372, 0x5f1d36f1, 0xa54ff53a,
  0xade682d1, 0x510e527f, 0x2b3e6c1f, 0x9b05688c, 0xfb41bd6b, 0x1f83d9ab, 0x137e2179, 0x5be0cd19,
]);

const SIGMA = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
  14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
  11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4,
  7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8,
  9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13,
  2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9,
  12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11,
  13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10,
  6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5,
  10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
  14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
];
/** SIGMA scaled to indices into the 32-word message array. */
const SIGMA2 = new Uint8Array(SIGMA.map((x) => x * 2));

const BLOCK = 128;

/** Thrown for key or output lengths outside RFC 7693's limits. */
export class Blake2bError extends CodedError<'AVF_ERR_BLAKE2B_PARAMS'> {
  override readonly name = 'Blake2bError';
  constructor(message: string) {
    super('AVF_ERR_BLAKE2B_PARAMS', message);
  }
}

// Work arrays shared by all hashes (the computation is synchronous).
const V = new Uint32Array(32);
const M = new Uint32Array(32);

/** v[a] += v[b] (64-bit). */
function add64(a: number, b: number): void {
  const lo = (V[a] as number) + (V[b] as number);
  V[a + 1] = (V[a + 1] as number) + (V[b + 1] as number) + (lo >= 0x100000000 ? 1 : 0);
  V[a] = lo;
}

/** v[a] += (lo, hi) (64-bit). */
function add64c(a: number, lo: number, hi: number): void {
  const sum = (V[a] as number) + lo;
  V[a + 1] = (V[a + 1] as number) + hi + (sum >= 0x100000000 ? 1 : 0);
  V[a] = sum;
}

function g(a: number, b: number, c: number, d: number, ix: number, iy: number): void {
  add64(a, b);
  add64c(a, M[ix] as number, M[ix + 1] as number);
  let x0 = (V[d] as number) ^ (V[a] as number);
  let x1 = (V[d + 1] as number) ^ (V[a + 1] as number);
  V[d] = x1; // rotr 32
  V[d + 1] = x0;
  add64(c, d);
  x0 = (V[b] as number) ^ (V[c] as number);
  x1 = (V[b + 1] as number) ^ (V[c + 1] as number);
  V[b] = (x0 >>> 24) ^ (x1 << 8); // rotr 24
  V[b + 1] = (x1 >>> 24) ^ (x0 << 8);
  add64(a, b);
  add64c(a, M[iy] as number, M[iy + 1] as number);
  x0 = (V[d] as number) ^ (V[a] as number);
  x1 = (V[d + 1] as number) ^ (V[a + 1] as number);
  V[d] = (x0 >>> 16) ^ (x1 << 16); // rotr 16
  V[d + 1] = (x1 >>> 16) ^ (x0 << 16);
  add64(c, d);
  x0 = (V[b] as number) ^ (V[c] as number);
  x1 = (V[b + 1] as number) ^ (V[c + 1] as number);
  V[b] = (x1 >>> 31) ^ (x0 << 1); // rotr 63
  V[b + 1] = (x0 >>> 31) ^ (x1 << 1);
}

/** Compresses the 128-byte block at `block[offset…]` into `h`; `t` is the byte count so far. */
function compress(h: Uint32Array, block: Uint8Array, offset: number, t: number, last: boolean): void {
  for (let i = 0; i < 16; i++) {
    V[i] = h[i] as number;
    V[i + 16] = IV32[i] as number;
  }
  V[24] = (V[24] as number) ^ (t >>> 0);
  V[25] = (V[25] as number) ^ Math.floor(t / 0x100000000);
  if (last) {
    V[28] = ~(V[28] as number);
    V[29] = ~(V[29] as number);
  }
  for (let i = 0; i < 32; i++) {
    const o = offset + i * 4;
    M[i] = (block[o] as number) | ((block[o + 1] as number) << 8) | ((block[o + 2] as number) << 16) | ((block[o + 3] as number) << 24);
  }
  for (let r = 0; r < 12; r++) {
    const s = r * 16;
    g(0, 8, 16, 24, SIGMA2[s] as number, SIGMA2[s + 1] as number);
    g(2, 10, 18, 26, SIGMA2[s + 2] as number, SIGMA2[s + 3] as number);
    g(4, 12, 20, 28, SIGMA2[s + 4] as number, SIGMA2[s + 5] as number);
    g(6, 14, 22, 30, SIGMA2[s + 6] as number, SIGMA2[s + 7] as number);
    g(0, 10, 20, 30, SIGMA2[s + 8] as number, SIGMA2[s + 9] as number);
    g(2, 12, 22, 24, SIGMA2[s + 10] as number, SIGMA2[s + 11] as number);
    g(4, 14, 16, 26, SIGMA2[s + 12] as number, SIGMA2[s + 13] as number);
    g(6, 8, 18, 28, SIGMA2[s + 14] as number, SIGMA2[s + 15] as number);
  }
  for (let i = 0; i < 16; i++) h[i] = (h[i] as number) ^ (V[i] as number) ^ (V[i + 16] as number);
}

class Blake2bState {
  private readonly h = new Uint32Array(16);
  private readonly b = new Uint8Array(BLOCK);
  private c = 0;
  /** Total bytes compressed so far (fits a double up to 2^53). */
  private t = 0;

  constructor(private readonly outlen: number, key: Uint8Array) {
    this.h.set(IV32);
    this.h[0] = (this.h[0] as number) ^ 0x01010000 ^ (key.length << 8) ^ outlen;
    if (key.length > 0) {
      this.update(key);
      this.c = BLOCK;
    }
  }

  update(input: Uint8Array): void {
    let i = 0;
    while (i < input.length) {
      if (this.c === BLOCK) {
        this.t += BLOCK;
        compress(this.h, this.b, 0, this.t, false);
        this.c = 0;
      }
      // Whole blocks straight from the input, always keeping the last block for digest().
      if (this.c === 0 && input.length - i > BLOCK) {
        this.t += BLOCK;
        compress(this.h, input, i, this.t, false);
        i += BLOCK;
        continue;
      }
      const n = Math.min(BLOCK - this.c, input.length - i);
      this.b.set(input.subarray(i, i + n), this.c);
      this.c += n;
      i += n;
    }
  }

  digest(): Uint8Array {
    this.t += this.c;
    this.b.fill(0, this.c);
    compress(this.h, this.b, 0, this.t, true);
    const out = new Uint8Array(this.outlen);
    for (let i = 0; i < this.outlen; i++) out[i] = ((this.h[i >> 2] as number) >>> (8 * (i & 3))) & 0xff;
    return out;
  }
}

/**
 * BLAKE2b of `input`, optionally keyed (key ≤ 64 bytes), with an output of
 * `outlen` bytes (1–64, default 64).
 */
export function blake2b(input: Uint8Array, key: Uint8Array = new Uint8Array(0), outlen = 64): Uint8Array {
  if (!Number.isInteger(outlen) || outlen < 1 || outlen > 64) {
    throw new Blake2bError(`BLAKE2b output length must be 1–64 bytes, got ${outlen}; pass a valid length`);
  }
  if (key.length > 64) {
    throw new Blake2bError(`BLAKE2b key must be at most 64 bytes, got ${key.length}; hash longer keys first`);
  }
  const state = new Blake2bState(outlen, key);
  state.update(input);
  return state.digest();
}

/** Hex form of {@link blake2b}. */
export function blake2bHex(input: Uint8Array, key?: Uint8Array, outlen = 64): string {
  return Buffer.from(blake2b(input, key, outlen)).toString('hex');
}
