import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusDir, loadManifest } from '../../../../test/helpers/corpus';
import { MimeError } from './mime-error';
import { DEFAULT_MIME_LIMITS } from './mime-part';
import { splitMessage } from './split-message';

/**
 * Fuzzing splitMessage with the corpus: a few thousand seeded mutations of real
 * messages (bit flips, truncation, spliced-in boundaries and headers, duplicated and
 * deleted ranges). Whatever the bytes, splitMessage either returns or throws a
 * MimeError; nothing else escapes, and the heap stays bounded.
 */

jest.setTimeout(240000);

const ITERATIONS = Number(process.env.AVFLEET_FUZZ_ITERATIONS ?? 3000);
const SEED = Number(process.env.AVFLEET_FUZZ_SEED ?? 20240601);
/** Messages larger than this are not mutated (keeps the run short). */
const MAX_SEED_BYTES = 256 * 1024;

/** mulberry32: small, seeded, reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SPLICES = [
  '\r\n--', '\r\n\r\n', 'Content-Type: multipart/mixed; boundary="x"\r\n', 'Content-Transfer-Encoding: base64\r\n', '=?utf-8?B?', '=\r\n',
  'Content-Type: message/rfc822\r\n\r\n', 'begin 644 a.bin\r\n', '\u0000', 'PK\u0003\u0004', '\u001f\u008b\u0008', 'Content-Type: application/ms-tnef\r\n',
  ': ', '\t', 'boundary=""', '--x--\r\n', 'Content-Disposition: attachment; filename*=utf-8\'\'%ff%fe\r\n',
];

function mutate(input: Buffer, rand: () => number): Buffer {
  let b = Buffer.from(input);
  const ops = 1 + Math.floor(rand() * 4);
  const at = (): number => Math.floor(rand() * (b.length + 1));
  for (let i = 0; i < ops; i++) {
    switch (Math.floor(rand() * 6)) {
      case 0: { // flip bytes
        for (let j = 0; j < 1 + rand() * 16 && b.length > 0; j++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
        break;
      }
      case 1: // truncate
        b = b.subarray(0, at());
        break;
      case 2: { // splice in a structural token
        const p = at();
        const token = Buffer.from(SPLICES[Math.floor(rand() * SPLICES.length)]!, 'latin1');
        b = Buffer.concat([b.subarray(0, p), token, b.subarray(p)]);
        break;
      }
      case 3: { // duplicate a range
        const s = at();
        const e = Math.min(b.length, s + Math.floor(rand() * 4096));
        const p = at();
        b = Buffer.concat([b.subarray(0, p), b.subarray(s, e), b.subarray(p)]);
        break;
      }
      case 4: { // delete a range
        const s = at();
        b = Buffer.concat([b.subarray(0, s), b.subarray(Math.min(b.length, s + Math.floor(rand() * 512)))]);
        break;
      }
      default: { // line endings: CRLF ↔ LF
        b = Buffer.from(rand() < 0.5 ? b.toString('latin1').replace(/\r\n/g, '\n') : b.toString('latin1').replace(/(?<!\r)\n/g, '\r\n'), 'latin1');
      }
    }
  }
  return b;
}

test(`splitMessage survives ${ITERATIONS} mutated corpus messages (seed ${SEED})`, async () => {
  const dir = corpusDir();
  const seeds = loadManifest()
    .map((m) => readFileSync(join(dir, m.file)))
    .filter((b) => b.length <= MAX_SEED_BYTES);
  expect(seeds.length).toBeGreaterThan(20);
  const rand = rng(SEED);
  const limits = { ...DEFAULT_MIME_LIMITS };
  let mimeErrors = 0;
  let returned = 0;
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let heapPeak = heapBefore;
  for (let i = 0; i < ITERATIONS; i++) {
    const seed = seeds[Math.floor(rand() * seeds.length)]!;
    const input = mutate(seed, rand);
    try {
      const out = await splitMessage(input, limits);
      expect(Array.isArray(out.parts)).toBe(true);
      returned += 1;
    } catch (err) {
      if (err instanceof MimeError) {
        mimeErrors += 1;
        continue;
      }
      throw new Error(`iteration ${i} (seed ${SEED}): splitMessage threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}; ` +
        `first bytes ${JSON.stringify(input.subarray(0, 200).toString('latin1'))}`);
    }
    if (i % 250 === 0) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  }
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  expect(returned + mimeErrors).toBe(ITERATIONS);
  // Bounded heap: no input may make the splitter hold on to memory across iterations.
  expect(heapPeak - heapBefore).toBeLessThan(512 * 1024 * 1024);
});
