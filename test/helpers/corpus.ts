import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot } from './repo-root';

/** One line of the corpus manifest (see ../shared/corpus/README.md). */
export interface CorpusEntry {
  readonly file: string;
  readonly parts: number;
  readonly attachment_names: (string | null)[];
  readonly archive_members: Record<string, string[]> | null;
  readonly eicar: boolean;
  readonly eicar_variant: string | null;
  readonly eicar_fake: boolean;
  readonly encrypted: boolean;
  readonly macro: boolean;
  readonly malformed: boolean;
  readonly categories: readonly string[];
  readonly size: number;
  readonly rspamd_av: Record<string, string[]>;
  readonly rspamd_action: string;
}

/**
 * The shared test corpus, read where it lies: `../shared/corpus` beside the
 * checkout (also in CI), or AVFLEET_CORPUS. Missing is an error, never an
 * empty (always-passing) test.
 */
export function corpusDir(): string {
  const dir = process.env.AVFLEET_CORPUS ?? resolve(repoRoot(), '..', 'shared', 'corpus');
  if (!existsSync(join(dir, 'manifest.jsonl'))) {
    throw new Error(`AVF_ERR_TEST_CORPUS_MISSING: no corpus at ${dir} (expected ../shared/corpus beside the checkout, or set AVFLEET_CORPUS)`);
  }
  return dir;
}

export function loadManifest(): CorpusEntry[] {
  const dir = corpusDir();
  return readFileSync(join(dir, 'manifest.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as CorpusEntry);
}
