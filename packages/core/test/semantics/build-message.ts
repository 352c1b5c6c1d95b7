import { buildMimeMessage, type MimeLeaf } from '../../../../benchmarks/src/corpus/build-message';
import { zip, type ZipFixtureEntry } from '../archive-writers';

/** Test material for the semantics tables: generated messages and files (nothing from the corpus). */

export const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';
export const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
export const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 0x90)]);
export const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4e30000000049454e44ae426082', 'hex');

export interface PartSpec {
  readonly type?: string;
  readonly filename?: string;
  /** Put the name in Content-Type (`name=`) instead of Content-Disposition. */
  readonly nameInContentType?: boolean;
  readonly disposition?: 'attachment' | 'inline' | null;
  readonly contentId?: string;
  readonly content: Buffer | string;
}

/** A multipart/mixed message (base64 bodies) with the given parts; `text` is a first text/plain part. */
export function buildMessage(parts: readonly PartSpec[], opts: { subject?: string; text?: string } = {}): Buffer {
  const all: PartSpec[] = opts.text !== undefined ? [{ type: 'text/plain; charset=utf-8', content: opts.text, disposition: null }, ...parts] : [...parts];
  const leaves: MimeLeaf[] = all.map((p) => ({
    kind: 'leaf',
    contentType: p.type ?? 'application/octet-stream',
    filename: p.filename,
    nameIn: p.nameInContentType ? 'type' : 'disposition',
    disposition: p.disposition,
    contentId: p.contentId,
    encoding: 'base64',
    data: Buffer.from(p.content),
  }));
  const headers = ['From: sender@example.com', 'To: rcpt@example.org', `Subject: ${opts.subject ?? 'semantics'}`, 'Message-ID: <sem@example.com>'];
  return buildMimeMessage(headers, { kind: 'multipart', subtype: 'mixed', boundary: 'SEM-BOUNDARY', parts: leaves });
}

/** `levels` zips nested in each other around one file. */
export function nestedZip(levels: number, inner: ZipFixtureEntry = { name: 'eicar.com', data: EICAR }): Buffer {
  let z = zip([inner]);
  for (let i = 0; i < levels; i++) z = zip([{ name: `level${i}.zip`, data: z, deflate: true }]);
  return z;
}

/** `words` words of text. */
export const words = (n: number): string => Array.from({ length: n }, (_, i) => `word${i}`).join(' ');
