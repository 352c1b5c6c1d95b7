import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildMessage } from './build-message';
import { makeAttachment, type AttachmentFile, type AttachmentKind } from './make-attachment';
import { SeededRandom } from './seeded-random';

export interface CorpusOptions {
  messages: number;
  seed: string;
  /** Share of text-only messages (default 1/3). */
  textOnlyShare?: number;
  /** Share of messages carrying EICAR (default 0.05). */
  eicarShare?: number;
  /** Share of messages that re-use an earlier attachment's bytes (default 0.30). */
  reuseShare?: number;
  minAttachmentBytes?: number;
  maxAttachmentBytes?: number;
}

export interface CorpusAttachment {
  filename: string;
  kind: AttachmentKind;
  contentType: string;
  size: number;
  sha256: string;
  /** Same bytes as an attachment of an earlier message. */
  reused: boolean;
  data: Buffer;
}

export interface CorpusMessage {
  file: string;
  index: number;
  bytes: Buffer;
  attachments: CorpusAttachment[];
  eicar: boolean;
}

export interface CorpusSummary {
  messages: number;
  textOnly: number;
  withEicar: number;
  withReuse: number;
  attachments: number;
  uniqueAttachments: number;
  attachmentBytes: number;
  uniqueAttachmentBytes: number;
  messageBytes: number;
  byKind: Record<string, number>;
}

export interface Corpus {
  seed: string;
  messages: CorpusMessage[];
  summary: CorpusSummary;
}

const KINDS: ReadonlyArray<readonly [AttachmentKind, number]> = [
  ['office', 0.3],
  ['pdf', 0.25],
  ['image', 0.25],
  ['archive', 0.2],
];

/**
 * Builds the bench corpus in memory, deterministically from `seed`: about a third text-only,
 * the rest with 1–3 attachments of 10 KB–2 MB (log-uniform: office, PDF, image, archive),
 * about 5 % with EICAR (alone or inside a zip), about 30 % re-using an earlier attachment.
 */
export function generateCorpus(o: CorpusOptions): Corpus {
  const rng = new SeededRandom(o.seed);
  const textOnlyShare = o.textOnlyShare ?? 1 / 3;
  const eicarShare = o.eicarShare ?? 0.05;
  const reuseShare = o.reuseShare ?? 0.3;
  const minB = o.minAttachmentBytes ?? 10 * 1024;
  const maxB = o.maxAttachmentBytes ?? 2 * 1024 * 1024;
  // Decisions per message; reuse and EICAR only apply to messages with attachments.
  const attShare = 1 - textOnlyShare;
  const pool: AttachmentFile[] = [];
  const messages: CorpusMessage[] = [];
  for (let i = 0; i < o.messages; i++) {
    const n = i + 1;
    const eicar = rng.chance(eicarShare);
    const textOnly = !eicar && rng.chance(textOnlyShare / (1 - eicarShare));
    const files: Array<{ file: AttachmentFile; reused: boolean }> = [];
    if (!textOnly) {
      const count = rng.int(1, 3);
      const reuse = pool.length > 0 && rng.chance(Math.min(1, reuseShare / attShare));
      const eicarSlot = eicar ? rng.int(0, count - 1) : -1;
      let reuseSlot = reuse ? rng.int(0, count - 1) : -1;
      if (reuseSlot >= 0 && reuseSlot === eicarSlot) reuseSlot = count > 1 ? (eicarSlot + 1) % count : -1;
      for (let s = 0; s < count; s++) {
        if (s === eicarSlot) files.push({ file: makeAttachment(rng, rng.chance(0.5) ? 'eicar' : 'eicar-zip', rng.logUniform(minB, maxB), n * 10 + s), reused: false });
        else if (s === reuseSlot) files.push({ file: rng.pick(pool), reused: true });
        else {
          const file = makeAttachment(rng, rng.weighted(KINDS), rng.logUniform(minB, maxB), n * 10 + s);
          pool.push(file);
          files.push({ file, reused: false });
        }
      }
    }
    const text = rng.text(rng.int(300, 6000));
    const bytes = buildMessage(
      { n, from: `sender${rng.int(1, 50)}@example.org`, to: `user${rng.int(1, 200)}@example.com`, subject: `Bench message ${n}`, date: 'Mon, 01 Jan 2024 12:00:00 +0000' },
      text,
      files.map((f) => f.file),
    );
    messages.push({
      file: `${String(n).padStart(5, '0')}.eml`,
      index: i,
      bytes,
      eicar,
      attachments: files.map(({ file, reused }) => ({
        filename: file.filename,
        kind: file.kind,
        contentType: file.contentType,
        size: file.data.length,
        sha256: createHash('sha256').update(file.data).digest('hex'),
        reused,
        data: file.data,
      })),
    });
  }
  return { seed: o.seed, messages, summary: summarize(messages) };
}

export function summarize(messages: readonly CorpusMessage[]): CorpusSummary {
  const seen = new Map<string, number>();
  const byKind: Record<string, number> = {};
  let attachments = 0;
  let attachmentBytes = 0;
  for (const m of messages) {
    for (const a of m.attachments) {
      attachments++;
      attachmentBytes += a.size;
      seen.set(a.sha256, a.size);
      byKind[a.kind] = (byKind[a.kind] ?? 0) + 1;
    }
  }
  return {
    messages: messages.length,
    textOnly: messages.filter((m) => m.attachments.length === 0).length,
    withEicar: messages.filter((m) => m.eicar).length,
    withReuse: messages.filter((m) => m.attachments.some((a) => a.reused)).length,
    attachments,
    uniqueAttachments: seen.size,
    attachmentBytes,
    uniqueAttachmentBytes: [...seen.values()].reduce((s, v) => s + v, 0),
    messageBytes: messages.reduce((s, m) => s + m.bytes.length, 0),
    byKind,
  };
}

/** Writes the messages as `<dir>/NNNNN.eml` plus `<dir>/manifest.json` (no attachment bytes). */
export function writeCorpus(corpus: Corpus, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const files = corpus.messages.map((m) => {
    const path = join(dir, m.file);
    writeFileSync(path, m.bytes);
    return path;
  });
  const manifest = {
    seed: corpus.seed,
    summary: corpus.summary,
    messages: corpus.messages.map((m) => ({ file: m.file, eicar: m.eicar, size: m.bytes.length, attachments: m.attachments.map(({ data: _d, ...rest }) => rest) })),
  };
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  return files;
}
