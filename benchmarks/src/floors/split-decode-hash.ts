import { createHash } from 'node:crypto';
import type { Transform } from 'node:stream';
import { Splitter } from '@zone-eu/mailsplit';
import type { SplitterChunk } from '@zone-eu/mailsplit';
import libqp from 'libqp';

/** One leaf body of a message, decoded, with the SHA-256 of its decoded bytes. */
export interface DecodedLeaf {
  filename: string | null;
  contentType: string | null;
  sha256: string;
  content: Buffer;
}

interface Leaf {
  filename: string | null;
  contentType: string | null;
  encoding: string | null;
  chunks: Buffer[];
}

/** Transfer decoding with Node's and libqp's routines: native base64 (skips line breaks), libqp, else the bytes as they are. */
function decodeBody(encoding: string | null, body: Buffer): Buffer {
  if (encoding === 'base64') return Buffer.from(body.toString('latin1'), 'base64');
  if (encoding === 'quoted-printable') return libqp.decode(body);
  return body;
}

/**
 * The floor of the producer's split-and-decode and hash stages: @zone-eu/mailsplit (which
 * parses headers and filenames with libmime) splits `raw`, every leaf body is decoded and
 * hashed (SHA-256). No limits, no type sniffing, no archive listing, no memo.
 */
export function splitDecodeHash(raw: Buffer): Promise<DecodedLeaf[]> {
  return new Promise((resolve, reject) => {
    const splitter = new Splitter({ ignoreEmbedded: true });
    const leaves: Leaf[] = [];
    const byNode = new Map<object, Leaf>();
    splitter.on('data', (chunk: SplitterChunk) => {
      if (chunk.type === 'node') {
        if (chunk.multipart) return;
        const leaf: Leaf = {
          filename: chunk.filename || null,
          contentType: chunk.contentType || null,
          encoding: chunk.encoding || null,
          chunks: [],
        };
        leaves.push(leaf);
        byNode.set(chunk, leaf);
        return;
      }
      if (chunk.type === 'body' && chunk.node && chunk.value) byNode.get(chunk.node)?.chunks.push(chunk.value);
    });
    const stream = splitter as unknown as Transform;
    stream.on('error', reject);
    stream.on('end', () => {
      resolve(
        leaves.map((l) => {
          const content = decodeBody(l.encoding, l.chunks.length === 1 ? l.chunks[0]! : Buffer.concat(l.chunks));
          return { filename: l.filename, contentType: l.contentType, sha256: createHash('sha256').update(content).digest('hex'), content };
        }),
      );
    });
    splitter.end(raw);
  });
}
