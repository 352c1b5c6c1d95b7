import { generateCorpus } from '../corpus/generate-corpus';
import { splitByBoundary } from './split-by-boundary';
import { splitDecodeHash } from './split-decode-hash';

describe('the split-and-decode floors', () => {
  const corpus = generateCorpus({ messages: 40, seed: 'floors-test', maxAttachmentBytes: 64 * 1024 });

  it.each(corpus.messages.map((m) => [m.index, m] as const))('message %i: both give the corpus attachments (name and SHA-256 of the decoded bytes)', async (_i, m) => {
    const expected = m.attachments.map((a) => `${a.filename} ${a.sha256}`);
    const attachments = (leaves: ReadonlyArray<{ filename: string | null; sha256: string }>): string[] => leaves.filter((l) => l.filename !== null).map((l) => `${l.filename} ${l.sha256}`);
    expect(attachments(await splitDecodeHash(m.bytes))).toEqual(expected);
    expect(attachments(splitByBoundary(m.bytes))).toEqual(expected);
  });
});
