import { randomBytes } from 'node:crypto';
import { decodeBase64, decodeBase64InPlace, decodeQuotedPrintable, decodeTransferEncoding } from './transfer-decoding';

/** The original lenient decoder (strip non-alphabet, decode each padded run with Node): the reference behaviour. */
function referenceBase64(raw: Buffer): Buffer {
  const text = raw.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, '');
  return Buffer.concat(text.split(/(?<==)(?=[^=])/).map((c) => Buffer.from(c, 'base64')));
}

/** Deterministic PRNG (mulberry32) so a failure can be reproduced. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const NOISE = ['\r\n', '\n', ' ', '\t', '=', '==', '===', '-', '_', '!', '\x00', '\xff', '.', '=\r\n'];

function noisyBase64(r: () => number): Buffer {
  const n = Math.floor(r() * 60);
  let text = '';
  if (r() < 0.4) text = Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256))).toString('base64');
  else for (let i = 0; i < n; i++) text += ALPHABET[Math.floor(r() * 64)];
  const p = r() * 0.3;
  let out = r() < 0.3 ? NOISE[Math.floor(r() * NOISE.length)]! : '';
  for (const ch of text) {
    out += ch;
    if (r() < p) out += NOISE[Math.floor(r() * NOISE.length)];
  }
  if (r() < 0.5) out += '='.repeat(Math.floor(r() * 4));
  return Buffer.from(out, 'latin1');
}

describe('decodeBase64', () => {
  it.each([100_000, 7_000_000])('decodes line-wrapped base64 exactly (%i bytes: the native pieces, the loop past 8 MiB encoded)', (n) => {
    const data = randomBytes(n);
    const wrapped = Buffer.from(data.toString('base64').replace(/.{76}/g, '$&\r\n'), 'latin1');
    expect(decodeBase64(wrapped).equals(data)).toBe(true);
    const own = Buffer.from(wrapped);
    const inPlace = decodeBase64InPlace(own);
    expect(inPlace.buffer).toBe(own.buffer);
    expect(inPlace.equals(data)).toBe(true);
  });

  it('matches the reference lenient decoder on noisy input (garbage, whitespace, padding mid-stream)', () => {
    const r = rng(20240611);
    for (let t = 0; t < 20_000; t++) {
      const raw = noisyBase64(r);
      const got = decodeBase64(raw);
      const want = referenceBase64(raw);
      if (!got.equals(want)) throw new Error(`input ${JSON.stringify(raw.toString('latin1'))}: got ${got.toString('hex')}, want ${want.toString('hex')}`);
      const inPlace = decodeBase64InPlace(Buffer.from(raw));
      if (!inPlace.equals(want)) throw new Error(`in place, input ${JSON.stringify(raw.toString('latin1'))}: got ${inPlace.toString('hex')}, want ${want.toString('hex')}`);
    }
  });

  it('gives the same bytes when the body arrives split into chunks at any position', () => {
    const r = rng(7);
    for (let t = 0; t < 3_000; t++) {
      const raw = noisyBase64(r);
      const cuts = [0, Math.floor(r() * (raw.length + 1)), Math.floor(r() * (raw.length + 1)), raw.length].sort((a, b) => a - b);
      const chunks = [raw.subarray(cuts[0], cuts[1]), raw.subarray(cuts[1], cuts[2]), raw.subarray(cuts[2], cuts[3])];
      expect(decodeBase64(chunks).equals(referenceBase64(raw))).toBe(true);
    }
  });

  it('matches the reference on wrapped bodies of every line shape, clean or with one irregularity anywhere (the native fast path)', () => {
    const r = rng(1717);
    const breaks = ['\r\n', '\n'];
    for (let t = 0; t < 3_000; t++) {
      const data = randomBytes(700 + Math.floor(r() * 30_000));
      const lineChars = [76, 64, 72, 4, 60, 74, 77][Math.floor(r() * 7)]!;
      const eol = breaks[Math.floor(r() * 2)]!;
      const lines = data.toString('base64').match(new RegExp(`.{1,${lineChars}}`, 'g'))!;
      let text = lines.join(eol) + (r() < 0.7 ? eol : '');
      const kind = Math.floor(r() * 6);
      const at = Math.floor(r() * text.length);
      if (kind === 1) text = text.slice(0, at) + NOISE[Math.floor(r() * NOISE.length)]! + text.slice(at);
      else if (kind === 2) text = text.slice(0, at) + text.slice(at + 1);
      else if (kind === 3) text = text.slice(0, at) + '=' + text.slice(at + 1);
      else if (kind === 4) text = text.slice(0, at) + eol + text.slice(at);
      else if (kind === 5) text = text.slice(0, at) + '\r' + text.slice(at);
      const raw = Buffer.from(text, 'latin1');
      const got = decodeBase64(raw);
      const want = referenceBase64(raw);
      if (!got.equals(want)) throw new Error(`case ${t} (line ${lineChars}, kind ${kind} at ${at}): ${got.length} bytes, want ${want.length}`);
      // Over its own buffer, where a piece the native decoder stops short in must not have overwritten what the loop reads again.
      if (!decodeBase64InPlace(Buffer.from(raw)).equals(want)) throw new Error(`in place, case ${t} (line ${lineChars}, kind ${kind} at ${at}) differs`);
      if (kind === 0) expect(got.equals(data)).toBe(true);
    }
  });

  it('keeps decoding after a padded run (concatenated base64 blocks)', () => {
    expect(decodeBase64(Buffer.from('QQ==\r\nQkM=\r\nREVG')).toString('latin1')).toBe('ABCDEF');
  });
});

describe('decodeTransferEncoding', () => {
  it('passes 7bit bodies through, joining chunks', () => {
    expect(decodeTransferEncoding([Buffer.from('ab'), Buffer.from('cd')], '7bit').content.toString()).toBe('abcd');
    expect(decodeTransferEncoding([], null).content.length).toBe(0);
  });

  it('decodes quoted-printable given as chunks', () => {
    expect(decodeTransferEncoding([Buffer.from('a=3'), Buffer.from('Db=\r\nc')], 'quoted-printable').content.toString()).toBe('a=bc');
    expect(decodeQuotedPrintable(Buffer.from('x=41')).toString()).toBe('xA');
  });
});
