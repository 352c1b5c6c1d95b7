import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CorpusEntry } from '../corpus/corpus-entry';
import { buildGeneratedCorpus } from '../corpus/generated-corpus';
import { repoRoot } from './repo-root';

export type { CorpusEntry };

/** A corpus message: its manifest entry, where it comes from, and its bytes (read on demand). */
export interface CorpusMessage {
  readonly entry: CorpusEntry;
  readonly origin: 'generated' | 'shared';
  /** Where the file lies (shared messages); null for generated ones, which exist only in memory. */
  readonly path: string | null;
  raw(): Buffer;
}

/**
 * The optional shared corpus: AVFLEET_CORPUS when set (then it must exist; `none` = generated
 * corpus only), else `../shared/corpus` beside the checkout when it is there, else null.
 */
export function sharedCorpusDir(): string | null {
  const explicit = process.env.AVFLEET_CORPUS;
  if (explicit === 'none') return null;
  if (explicit !== undefined && explicit !== '') {
    if (!existsSync(join(explicit, 'manifest.jsonl'))) {
      throw new Error(`AVF_ERR_TEST_CORPUS_MISSING: AVFLEET_CORPUS=${explicit} has no manifest.jsonl; point it at a corpus folder or unset it`);
    }
    return explicit;
  }
  const beside = resolve(repoRoot(), '..', 'shared', 'corpus');
  return existsSync(join(beside, 'manifest.jsonl')) ? beside : null;
}

let generated: CorpusMessage[] | undefined;

/** The corpus the repository builds itself (test/corpus/generated-corpus.ts), built once per test file. */
export function generatedCorpus(): CorpusMessage[] {
  generated ??= buildGeneratedCorpus().map(({ entry, bytes }) => ({ entry, origin: 'generated' as const, path: null, raw: () => bytes }));
  return generated;
}

function sharedCorpus(dir: string): CorpusMessage[] {
  return readFileSync(join(dir, 'manifest.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const entry = JSON.parse(l) as CorpusEntry;
      const path = join(dir, entry.file);
      return { entry, origin: 'shared' as const, path, raw: () => readFileSync(path) };
    });
}

/** The generated corpus, plus the shared one's messages (read where they lie, never copied) when it is there. */
export function loadCorpus(): CorpusMessage[] {
  const dir = sharedCorpusDir();
  return [...generatedCorpus(), ...(dir ? sharedCorpus(dir) : [])];
}

/** One message by its manifest path; AVF_ERR_TEST_CORPUS_ENTRY when no loaded corpus has it. */
export function corpusMessage(file: string, corpus: readonly CorpusMessage[] = loadCorpus()): CorpusMessage {
  const m = corpus.find((c) => c.entry.file === file);
  if (!m) throw new Error(`AVF_ERR_TEST_CORPUS_ENTRY: no corpus message ${file} (generated: test/corpus/generated-corpus.ts)`);
  return m;
}
