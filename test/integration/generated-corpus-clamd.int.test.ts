import { rawInstream } from '../../benchmarks/src/phases/raw-instream';
import { buildGeneratedCorpus } from '../corpus/generated-corpus';
import { testServices } from '../helpers/test-services';

/**
 * The generated corpus's expectations assume what clamd answers for every body Rspamd would send
 * it (test/corpus/generated-corpus.ts, clamdVerdict). Here the test clamd (test/fixtures/clamd/db,
 * test/helpers/clamd-settings.ts) answers for each of them: a wrong assumption fails here, before
 * it can make corpus-parity compare avfleet with a wrong reference.
 */

const services = testServices();
const corpus = buildGeneratedCorpus();
const bodies = corpus.flatMap((m) => m.clamdBodies.map((b, i) => ({ label: `${m.entry.file} body ${i + 1}`, ...b })));

test('the generated corpus sends clamd both clean and infected bodies', () => {
  expect(bodies.some((b) => b.verdict === null)).toBe(true);
  expect(new Set(bodies.map((b) => b.verdict).filter((v) => v !== null))).toEqual(
    new Set(['Eicar-Test-Signature.UNOFFICIAL', 'ClamAV-Test-File.UNOFFICIAL', 'Heuristics.Encrypted.Zip']),
  );
});

test.each(bodies.map((b) => [b.label, b] as const))('clamd gives %s the verdict the generator assumed', async (_label, b) => {
  const reply = await rawInstream(services.clamd.host, services.clamd.port, b.data, 20000);
  expect(reply).toBe(b.verdict === null ? 'stream: OK' : `stream: ${b.verdict} FOUND`);
});
