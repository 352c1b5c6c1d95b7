import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { CorpusMessage } from '../corpus/generate-corpus';
import { runPool } from '../phases/raw-instream';

/**
 * The floor of the store write: each message written to a new file, fsync'ed, closed and
 * renamed into place (as a durable folder store must), `concurrency` at once.
 */
export async function writeMessagesDurably(dir: string, messages: readonly CorpusMessage[], concurrency: number): Promise<void> {
  await runPool(messages.length, concurrency, async (i) => {
    const tmp = join(dir, `${i}.tmp`);
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(messages[i]!.bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(dir, `${i}.eml`));
  });
}
