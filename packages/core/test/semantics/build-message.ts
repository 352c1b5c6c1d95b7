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
  const boundary = 'SEM-BOUNDARY';
  const lines = [
    'From: sender@example.com', 'To: rcpt@example.org', `Subject: ${opts.subject ?? 'semantics'}`, 'Message-ID: <sem@example.com>',
    'MIME-Version: 1.0', `Content-Type: multipart/mixed; boundary="${boundary}"`, '',
  ];
  const all: PartSpec[] = opts.text !== undefined ? [{ type: 'text/plain; charset=utf-8', content: opts.text, disposition: null }, ...parts] : [...parts];
  for (const p of all) {
    const type = p.type ?? 'application/octet-stream';
    lines.push(`--${boundary}`);
    lines.push(`Content-Type: ${type}${p.filename && p.nameInContentType ? `; name="${p.filename}"` : ''}`);
    const disposition = p.disposition === undefined ? (p.filename ? 'attachment' : null) : p.disposition;
    if (disposition) lines.push(`Content-Disposition: ${disposition}${p.filename && !p.nameInContentType ? `; filename="${p.filename}"` : ''}`);
    if (p.contentId) lines.push(`Content-ID: <${p.contentId}>`);
    lines.push('Content-Transfer-Encoding: base64', '');
    lines.push(...(Buffer.from(p.content).toString('base64').match(/.{1,76}/g) ?? ['']));
  }
  lines.push(`--${boundary}--`, '');
  return Buffer.from(lines.join('\r\n'));
}

/** `levels` zips nested in each other around one file. */
export function nestedZip(levels: number, inner: ZipFixtureEntry = { name: 'eicar.com', data: EICAR }): Buffer {
  let z = zip([inner]);
  for (let i = 0; i < levels; i++) z = zip([{ name: `level${i}.zip`, data: z, deflate: true }]);
  return z;
}

/** `words` words of text. */
export const words = (n: number): string => Array.from({ length: n }, (_, i) => `word${i}`).join(' ');
