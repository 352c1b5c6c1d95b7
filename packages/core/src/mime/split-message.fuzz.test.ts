import { loadCorpus } from '../../../../test/helpers/corpus';
import { mutateMessage, seededRandom } from '../../../../test/helpers/mutate-message';
import { MimeError } from './mime-error';
import { DEFAULT_MIME_LIMITS } from './mime-part';
import { splitMessage } from './split-message';

/**
 * Fuzzing splitMessage with the test corpus: a few thousand seeded mutations of its
 * messages (bit flips, truncation, spliced-in boundaries and headers, duplicated and
 * deleted ranges). Whatever the bytes, splitMessage either returns or throws a
 * MimeError; nothing else escapes, and the heap stays bounded.
 */

jest.setTimeout(240000);

const ITERATIONS = Number(process.env.AVFLEET_FUZZ_ITERATIONS ?? 3000);
const SEED = Number(process.env.AVFLEET_FUZZ_SEED ?? 20240601);
/** Messages larger than this are not mutated (keeps the run short). */
const MAX_SEED_BYTES = 256 * 1024;

test(`splitMessage survives ${ITERATIONS} mutated corpus messages (seed ${SEED})`, async () => {
  const seeds = loadCorpus()
    .map((m) => m.raw())
    .filter((b) => b.length <= MAX_SEED_BYTES);
  expect(seeds.length).toBeGreaterThan(20);
  const rand = seededRandom(SEED);
  const limits = { ...DEFAULT_MIME_LIMITS };
  let mimeErrors = 0;
  let returned = 0;
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let heapPeak = heapBefore;
  for (let i = 0; i < ITERATIONS; i++) {
    const seed = seeds[Math.floor(rand() * seeds.length)]!;
    const input = mutateMessage(seed, rand);
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
